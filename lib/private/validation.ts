import { Token } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * An invalid prop or combination, thrown while the app is built. The message names where (the construct path or
 * the factory), the bad value and the fix. aws-cdk-lib's own `ValidationError` is `@internal`, so the library throws
 * its own, with the same name.
 */
export class ValidationError extends Error {
  public readonly name = 'ValidationError';
}

/**
 * Checks made on behalf of one construct: each message starts with `<what> <construct path>:`. A value that is an
 * unresolved token is never checked (it is only known at deploy time), for every check alike.
 */
export class Validator {
  constructor(
    /** Who checks, e.g. `BedrockChatFunction Stack/Chat`: every message starts with it. */
    public readonly where: string,
  ) {}

  /** `what` for `scope`, e.g. `BedrockChatFunction Stack/Chat`. */
  public static of(what: string, scope: IConstruct): Validator {
    return new Validator(`${what} ${scope.node.path}`);
  }

  public fail(message: string): never {
    throw new ValidationError(`${this.where}: ${message}`);
  }

  /** Fails unless `ok(value)`; skipped for unresolved tokens and undefined values. */
  public check<T>(value: T | undefined, ok: (value: T) => boolean, message: (value: T) => string): void {
    if (value === undefined || Token.isUnresolved(value)) return;
    if (!ok(value)) this.fail(message(value));
  }

  /** A whole number from `min` to `max`. */
  public integer(name: string, value: number | undefined, min: number, max: number): void {
    this.check(
      value,
      (v) => Number.isInteger(v) && v >= min && v <= max,
      (v) => `${name} must be a whole number from ${min} to ${max}, got ${v}`,
    );
  }

  /** A string matching `pattern` (the contract's), described by `rule`. */
  public pattern(name: string, value: string | undefined, pattern: RegExp, rule: string): void {
    this.check(
      value,
      (v) => pattern.test(v),
      (v) => `${name} '${v}' is not valid: ${rule}`,
    );
  }
}
