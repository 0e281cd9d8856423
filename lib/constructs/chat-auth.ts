import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * How callers of a `BedrockChatFunction` authenticate.
 *
 * - `ChatAuth.iam()`: the Function URL requires SigV4 (`AWS_IAM`); callers need
 *   `lambda:InvokeFunctionUrl` and `lambda:InvokeFunction` on the function, e.g. Cognito guests.
 *
 * JWT modes (an OIDC issuer or a Cognito user pool, verified in the handler) come next and use
 * the same prop.
 */
export abstract class ChatAuth {
  /** SigV4-signed requests only; the caller is the IAM identity that signed. */
  public static iam(): ChatAuth {
    return new IamChatAuth();
  }

  /** The Function URL auth type this mode needs. */
  public abstract readonly functionUrlAuthType: lambda.FunctionUrlAuthType;

  /** The mode's name, as the handler sees it in `CHAT_AUTH`. */
  public abstract readonly mode: string;
}

class IamChatAuth extends ChatAuth {
  public readonly functionUrlAuthType = lambda.FunctionUrlAuthType.AWS_IAM;
  public readonly mode = 'iam';
}
