// The ApolloLink: attaches the access token (memory mode) or lets the cookies speak (cookie mode),
// refreshes first when the token has expired, and on UNAUTHENTICATED refreshes once (shared by every
// operation that hit it at the same time) and replays the operation once. Never more than once.
import { ApolloLink } from '@apollo/client';
import { Kind, OperationTypeNode, type FormattedExecutionResult } from 'graphql';
import { Observable, type Subscription } from 'rxjs';
import type { AuthSession } from './auth-session.js';

export type AuthMode = 'memory' | 'cookie';

/** Root fields that manage the session themselves: their UNAUTHENTICATED means a wrong password or code, or a dead refresh token. */
const SESSION_FIELDS = new Set(['login', 'verifyMfa', 'loginWithPasskey', 'signInWithIdToken', 'register', 'refresh', 'logout']);

export function createAuthLink(session: AuthSession, mode: AuthMode): ApolloLink {
  return new ApolloLink(
    (operation, forward) =>
      new Observable((observer) => {
        const ownsSession = touchesSession(operation.query);
        let subscription: Subscription | undefined;
        let closed = false;

        const send = (replay: boolean): void => {
          const generation = session.generation;
          const token = session.accessToken;
          operation.setContext(({ headers }: { headers?: Record<string, string> }) => ({
            // Memory mode sends cookies only where the session lives in them (login, refresh, logout).
            credentials: mode === 'cookie' || ownsSession ? 'include' : 'omit',
            headers: mode === 'memory' && token ? { ...headers, authorization: `Bearer ${token}` } : headers,
          }));
          let waiting = false;
          subscription = forward(operation).subscribe({
            next: (result) => {
              if (replay || ownsSession || session.status === 'signed-out' || !isUnauthenticated(result)) return observer.next(result);
              waiting = true;
              session.refresh(generation).then(
                (ok) => {
                  if (closed) return;
                  if (ok) return send(true);
                  observer.next(result);
                  observer.complete();
                },
                (error: unknown) => observer.error(error),
              );
            },
            error: (error: unknown) => observer.error(error),
            complete: () => {
              if (!waiting) observer.complete();
            },
          });
        };

        if (!ownsSession && session.isExpired()) {
          session.refresh(session.generation).then(
            () => !closed && send(false),
            (error: unknown) => observer.error(error),
          );
        } else {
          send(false);
        }
        return () => {
          closed = true;
          subscription?.unsubscribe();
        };
      }),
  );
}

function isUnauthenticated(result: FormattedExecutionResult | object): boolean {
  const errors = 'errors' in result ? result.errors : undefined;
  return Array.isArray(errors) && errors.some((error: { extensions?: { code?: unknown } }) => error.extensions?.code === 'UNAUTHENTICATED');
}

function touchesSession(query: ApolloLink.Operation['query']): boolean {
  return query.definitions.some(
    (definition) =>
      definition.kind === Kind.OPERATION_DEFINITION &&
      definition.operation === OperationTypeNode.MUTATION &&
      definition.selectionSet.selections.some((selection) => selection.kind === Kind.FIELD && SESSION_FIELDS.has(selection.name.value)),
  );
}
