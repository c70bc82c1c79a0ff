// One HTTP request runs at most one password or client-secret check or refresh (SPEC §8): an operation
// that selects login, register, refresh, changePassword, clientToken or signInWithIdToken more than once, by aliases, fragments or inline fragments, is refused
// before anything runs. (HTTP batching is off, so one request is one operation.)
import {
  GraphQLError,
  Kind,
  OperationTypeNode,
  type ASTVisitor,
  type FragmentDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
} from 'graphql';

export const CREDENTIAL_FIELDS: ReadonlySet<string> = new Set(['login', 'register', 'refresh', 'changePassword', 'clientToken', 'signInWithIdToken']);

export const ONE_CREDENTIAL_FIELD_MESSAGE = 'An operation may select login, register, refresh, changePassword, clientToken or signInWithIdToken only once';

export function oneCredentialFieldRule(context: ValidationContext): ASTVisitor {
  return {
    OperationDefinition(operation) {
      if (operation.operation !== OperationTypeNode.MUTATION) return;
      const fragments = new Map<string, FragmentDefinitionNode>();
      for (const definition of context.getDocument().definitions) {
        if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
      }
      if (countCredentialFields(operation.selectionSet, fragments, new Set()) > 1) {
        context.reportError(new GraphQLError(ONE_CREDENTIAL_FIELD_MESSAGE, { nodes: [operation] }));
      }
    },
  };
}

/** Root credential fields, each occurrence counted, fragments followed (once per path, cycles are invalid anyway). */
function countCredentialFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  visiting: Set<string>,
): number {
  let count = 0;
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      if (CREDENTIAL_FIELDS.has(selection.name.value)) count += 1;
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count += countCredentialFields(selection.selectionSet, fragments, visiting);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || visiting.has(name)) continue;
      visiting.add(name);
      count += countCredentialFields(fragment.selectionSet, fragments, visiting);
      visiting.delete(name);
    }
    if (count > 1) return count;
  }
  return count;
}
