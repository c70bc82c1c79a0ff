// Times every GraphQL request by operation type and (bounded) name, for the duration histogram.
import type { ApolloServerPlugin } from '@apollo/server';
import type { Metrics } from './metrics';

export function graphqlMetricsPlugin(metrics: Metrics): ApolloServerPlugin {
  return {
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse({ operation, operationName }) {
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          metrics.graphqlRequest(operation?.operation ?? 'invalid', operation ? (operation.name?.value ?? operationName) : 'invalid', seconds);
        },
      };
    },
  };
}
