import { Counter, type Registry } from 'prom-client';

/** The job gateway's metrics: requests by operation, refusals by operation and reason, jobs granted. */
export function createGatewayMetrics(registry: Registry) {
  return {
    requests: new Counter({ name: 'drex_gateway_requests_total', help: 'Job gateway requests, by operation', labelNames: ['op'], registers: [registry] }),
    refused: new Counter({ name: 'drex_gateway_refused_total', help: 'Job gateway requests refused, by operation and reason', labelNames: ['op', 'reason'], registers: [registry] }),
    granted: new Counter({ name: 'drex_gateway_jobs_granted_total', help: 'Job deliveries leased to workers', registers: [registry] }),
    jobsRefused: new Counter({ name: 'drex_gateway_jobs_refused_total', help: 'Jobs handed back because the taker may not hold them (split rules for halves, trust for whole jobs)', registers: [registry] }),
    released: new Counter({ name: 'drex_gateway_jobs_released_total', help: 'Leases released by their holder, by outcome', labelNames: ['outcome'], registers: [registry] }),
  };
}

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;
