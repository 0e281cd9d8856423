/**
 * What a route of the JWT modes works with: the invocation (request, response, summary-line facts, the
 * signal that stops work when the client is gone) and the verified caller.
 */
import type { Invocation } from '../../../core/invocation';

export interface RouteContext extends Invocation {
  /** The verified token's `sub`. */
  readonly subject: string;
}
