// logs_sdk.mjs: log records made by the OpenTelemetry JS logs SDK, for the
// logs tests: what a LoggerProvider's processor hands its exporter.
import { LoggerProvider, SimpleLogRecordProcessor, InMemoryLogRecordExporter } from '@opentelemetry/sdk-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';

/* The finished records (with their observed time) that emit(logger) makes
 * under a resource with service.name service. */
export async function sdkRecords(emit, service, loggerName) {
	const mem = new InMemoryLogRecordExporter();
	const provider = new LoggerProvider({
		resource: resourceFromAttributes({ 'service.name': service }), processors: [new SimpleLogRecordProcessor({ exporter: mem })],
	});
	emit(provider.getLogger(loggerName));
	await provider.forceFlush();
	const recs = mem.getFinishedLogRecords();
	await provider.shutdown();
	return recs;
}
