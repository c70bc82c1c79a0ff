// Bounds on what one GraphQL operation may ask (SPEC §8): depth, aliases, cost and directives by
// graphql-armor, tokens by graphql-js's own parser limit, "did you mean" suggestions hidden unless
// introspection is on (by responsePolicyPlugin), federation's _service (the SDL) only where
// introspection is on, and one credential field per operation. Every refusal is a validation or
// parse error (HTTP 400) before any resolver runs.
import type { ApolloServerPlugin } from '@apollo/server';
import { ApolloArmor } from '@escape.tech/graphql-armor';
import { GraphQLError, type ParseOptions, type ValidationRule } from 'graphql';
import type { Config } from '../config/config';
import { oneCredentialFieldRule } from './credential-fields.rule';
import { noFederationSdlRule } from './federation-sdl.rule';

type ArmorConfig = NonNullable<ConstructorParameters<typeof ApolloArmor>[0]>;
type RejectCallback = NonNullable<NonNullable<ArmorConfig['maxDepth']>['onReject']>[number];

export interface OperationLimits {
  validationRules: ValidationRule[];
  plugins: ApolloServerPlugin[];
  /** "Did you mean" suggestions are masked (responsePolicyPlugin) where introspection is off. */
  hideSuggestions: boolean;
  /**
   * Tokens are counted by graphql-js while parsing: armor's Apollo token plugin throws from
   * parsingDidStart, outside Apollo's error handling, which would answer 500 instead of 400.
   */
  parseOptions: ParseOptions;
}

export function operationLimits(settings: Config['graphql']): OperationLimits {
  // Armor's default reporter labels its errors BAD_USER_INPUT; report them as the validation errors they are.
  const reject: RejectCallback = (context, error) =>
    context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, '')));
  const limit = { propagateOnRejection: false, onReject: [reject], exposeLimits: true };
  const armor = new ApolloArmor({
    maxDepth: { ...limit, n: settings.maxDepth, ignoreIntrospection: true },
    maxAliases: { ...limit, n: settings.maxAliases },
    costLimit: { ...limit, maxCost: settings.maxCost, ignoreIntrospection: true },
    maxDirectives: { ...limit, n: settings.maxDirectives },
    maxTokens: { enabled: false },
    // Masked by responsePolicyPlugin instead: the same mask, without one more listener per request.
    blockFieldSuggestion: { enabled: false },
  }).protect();
  return {
    validationRules: [oneCredentialFieldRule, ...(settings.introspection ? [] : [noFederationSdlRule]), ...armor.validationRules],
    plugins: armor.plugins,
    hideSuggestions: !settings.introspection,
    parseOptions: { maxTokens: settings.maxTokens },
  };
}
