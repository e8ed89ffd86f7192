// feedback.js: what a page shows instead of its content: the error banner
// for a failed API call, and the onboarding when the store is empty.
import { storeIsEmpty } from './api.js';
import { navigate } from './state.js';
import { h } from './util.js';

/* A red banner with the API's message (and what was asked). */
export function errorBanner(err) {
	const where = err.path ? h('span.muted', null, ` (${err.status || 'network'} on ${err.path})`) : null;
	return h('div.banner', { role: 'alert' }, h('b', null, 'Error: '), err.message || String(err), where);
}

/* Shows err in place of el's content, unless it is an abort. */
export function showError(el, err) {
	if (err?.name === 'AbortError') return;
	el.replaceChildren(errorBanner(err));
}

/* How to send the first trace. */
export function onboarding() {
	const host = location.host;
	return h('div.onboard', null,
		h('h1', null, 'No traces yet'),
		h('p.muted', null, 'tracelite is running and waiting for OpenTelemetry traces. Anything that speaks OTLP/HTTP (protobuf or JSON) can send them here.'),
		h('ol', null,
			h('li', null, 'Point your OpenTelemetry SDK or collector at this server:',
				h('pre', null, `OTEL_EXPORTER_OTLP_ENDPOINT=http://${host}\n# traces go to http://${host}/v1/traces`)),
			h('li', null, 'Or send one span by hand:',
				h('pre', null, `curl -s http://${host}/v1/traces -H 'content-type: application/json' -d '{
  "resourceSpans": [{"resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "my-app"}}]},
    "scopeSpans": [{"spans": [{"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174",
      "name": "hello", "kind": 1, "startTimeUnixNano": "${Date.now()}000000", "endTimeUnixNano": "${Date.now() + 120}000000"}]}]}]}'`)),
			h('li', null, 'Or fill it with realistic demo traffic:',
				h('pre', null, `./tracelite demo --traces 200 --url http://${host}/v1/traces`))),
		h('p.muted', null, 'This page updates by itself once the first trace arrives.'));
}

/* Shows the onboarding in main and renders the page again once the first
 * trace arrives (polled every 3 s until the page goes: onCleanup). */
export function showOnboarding(main, signal, onCleanup) {
	main.replaceChildren(onboarding());
	const t = setInterval(async () => {
		if (!(await storeIsEmpty(signal).catch(() => true))) navigate(location.pathname + location.search, { replace: true });
	}, 3000);
	onCleanup(() => clearInterval(t));
}
