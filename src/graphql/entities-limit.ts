// Federation's _entities resolves one user per representation: bound how many one call may ask for,
// so a single request cannot fan out into thousands of database reads.
import type { GraphQLSchema } from 'graphql';
import { BadUserInputError } from '../errors';

export function limitEntities(schema: GraphQLSchema, max: number): GraphQLSchema {
  const field = schema.getQueryType()?.getFields()._entities;
  const resolve = field?.resolve;
  if (!field || !resolve) return schema;
  field.resolve = (source, args: { representations?: unknown[] }, context, info) => {
    if ((args.representations?.length ?? 0) > max) {
      throw new BadUserInputError([{ field: 'representations', message: `must list at most ${max} entities` }]);
    }
    return resolve(source, args, context, info);
  };
  return schema;
}
