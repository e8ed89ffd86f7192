// api.js: the one way pages talk to the server. Every failure becomes an
// ApiError carrying the HTTP status and the server's own message, so pages
// can show it instead of swallowing it.

export class ApiError extends Error {
	constructor(status, message, path) {
		super(message);
		this.status = status;
		this.path = path;
	}
}

/* GET path with params (empty values dropped; an array value repeats the
 * parameter); resolves to parsed JSON. */
export async function getJson(path, params = {}, { signal } = {}) {
	const qs = new URLSearchParams();
	for (const [k, v] of Object.entries(params)) for (const x of [].concat(v)) if (x != null && x !== '') qs.append(k, x);
	const url = path + (qs.size ? '?' + qs : '');
	let r;
	try {
		r = await fetch(url, { signal, headers: { accept: 'application/json' } });
	} catch (e) {
		if (e.name === 'AbortError') throw e;
		throw new ApiError(0, `cannot reach the server (${e.message})`, url);
	}
	const text = await r.text();
	let body;
	try { body = text ? JSON.parse(text) : null; } catch { body = null; }
	if (r.status === 401) toLogin();
	if (!r.ok) throw new ApiError(r.status, body?.error || `HTTP ${r.status}`, url);
	if (body == null) throw new ApiError(r.status, 'the answer was not JSON', url);
	return body;
}


/* True when the store holds no trace at all (in any project or time). */
export async function storeIsEmpty(signal) {
	const r = await getJson('/api/traces', { limit: 1 }, { signal });
	return r.items.length === 0;
}

/* A key is needed (auth is on and the session ended): to the login page,
 * coming back here afterwards. */
function toLogin() {
	location.assign('/login?next=' + encodeURIComponent(location.pathname + location.search));
}

/* Who this browser is: {auth, logged_in, name, scope, via, csrf}. */
export async function session() {
	const r = await fetch('/api/session', { headers: { accept: 'application/json' } });
	return r.json();
}

/* Ends the browser session; a change, so it carries the session's CSRF token. */
export async function logout(csrf) {
	await fetch('/api/logout', { method: 'POST', headers: { 'x-csrf-token': csrf || '' } });
	location.assign('/login');
}

let csrfToken = null;
/* method (POST, PATCH, DELETE) path with a JSON body; a browser session's
 * change carries its CSRF token (fetched once). Resolves to parsed JSON;
 * a failure throws ApiError with the server's message. */
export async function sendJson(method, path, body) {
	if (csrfToken == null) csrfToken = session().then((s) => s.csrf || '').catch(() => '');
	const headers = { accept: 'application/json', 'x-csrf-token': await csrfToken };
	if (body !== undefined) headers['content-type'] = 'application/json';
	let r;
	try {
		r = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
	} catch (e) {
		throw new ApiError(0, `cannot reach the server (${e.message})`, path);
	}
	const text = await r.text();
	let out;
	try { out = text ? JSON.parse(text) : null; } catch { out = null; }
	if (r.status === 401) toLogin();
	if (!r.ok) throw new ApiError(r.status, out?.error || `HTTP ${r.status}`, path);
	return out;
}
