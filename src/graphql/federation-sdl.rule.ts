// Federation's `{ _service { sdl } }` hands out the whole schema, like introspection: where
// introspection is off (production, unless GRAPHQL_INTROSPECTION=true) it is refused the same way,
// at validation, by alias, fragment or inline fragment alike.
import { GraphQLError, type ASTVisitor, type ValidationContext } from 'graphql';

export const SERVICE_FIELD = '_service';

export const SERVICE_SDL_REFUSED_MESSAGE =
  'The federation field _service is off with introspection: compose the supergraph from schema.graphql, or set GRAPHQL_INTROSPECTION=true for a gateway that introspects';

export function noFederationSdlRule(context: ValidationContext): ASTVisitor {
  return {
    Field(node) {
      if (node.name.value !== SERVICE_FIELD || context.getParentType() !== context.getSchema().getQueryType()) return;
      context.reportError(new GraphQLError(SERVICE_SDL_REFUSED_MESSAGE, { nodes: [node] }));
    },
  };
}
