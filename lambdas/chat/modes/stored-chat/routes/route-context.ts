/**
 * What a route of the stored-chat mode works with: the invocation (request, response, summary-line facts, the
 * signal that stops work when the client is gone) and the verified caller.
 */
import type { CallerBudget } from '../../../budgets/budget';
import type { Invocation } from '../../../core/invocation';

export interface RouteContext extends Invocation {
  /** The verified user (a token's `sub`): the owner of every chat the route touches. */
  readonly subject: string;
  /** The user's daily budget, checked before a model call and counted after it. */
  readonly budget?: CallerBudget;
}
