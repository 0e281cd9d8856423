/**
 * What the page tells a person for each error code a chat backend or the page's own client can
 * give: what happened and what to do. Keyed by the runtime's stable codes (contract/errors.ts;
 * a test fails when the runtime gains a code this table does not explain), the typed client's codes,
 * and the codes of backends that are being added: caller credentials (`credentials_required`,
 * `invalid_credentials`, `credentials_expired`) and guardrails (`guardrail_intervened`). The usage budgets'
 * codes (`token_budget_exhausted`, `cost_budget_exhausted`, `budget_unavailable`) are the runtime's own.
 */
export interface ErrorAdvice {
  /** What happened, in the person's terms. */
  readonly title: string;
  /** What to do about it. */
  readonly action: string;
}

const TRY_AGAIN = 'Try again in a moment.';
const REPHRASE = 'Change your message and send it again.';
const ADMIN = 'This needs a change by the people who run this chat: tell them the code and time shown.';

export const ERROR_ADVICE: Readonly<Record<string, ErrorAdvice>> = {
  // Request and input
  method_not_allowed: { title: 'The chat refused this kind of request.', action: ADMIN },
  payload_too_large: { title: 'The message and conversation are too large to send.', action: 'Start a new chat or shorten your message.' },
  invalid_json: { title: 'The page sent a request the chat could not read.', action: 'Reload the page and try again.' },
  invalid_body: { title: 'The page sent a request the chat could not accept.', action: 'Reload the page and try again.' },
  message_required: { title: 'The message is empty.', action: 'Type a message, then send it.' },
  prompt_required: { title: 'The message is empty.', action: 'Type a message, then send it.' },
  message_too_long: { title: 'The message is too long (at most 2000 characters).', action: 'Shorten it and send it again.' },
  prompt_too_long: { title: 'The message is too long (at most 2000 characters).', action: 'Shorten it and send it again.' },
  invalid_history: { title: 'The earlier conversation could not be sent.', action: 'Start a new chat.' },
  model_not_allowed: { title: 'That model is not offered here.', action: 'Pick another model.' },
  route_not_found: { title: 'The chat does not know this address.', action: ADMIN },
  invalid_limit: { title: 'The page asked for a list size the chat refuses.', action: 'Reload the page.' },
  invalid_cursor: { title: 'The list of chats could not be continued.', action: 'Reload the page.' },
  chat_not_found: { title: 'This chat no longer exists.', action: 'Start a new chat.' },
  agent_required: { title: 'This chat needs to be told which agent should answer.', action: ADMIN },
  agent_not_allowed: { title: 'This chat answers with its own agent only.', action: ADMIN },
  // Limits and budgets
  rate_limited: { title: 'You have sent too many messages in a short time.', action: 'Wait a minute, then send again.' },
  throttled: { title: 'The model is busy right now.', action: TRY_AGAIN },
  rate_limiter_unavailable: { title: 'The chat cannot check its usage limits right now.', action: TRY_AGAIN },
  token_budget_exhausted: { title: "You have used today's allowance of the model.", action: 'It resets at midnight UTC; try again then.' },
  cost_budget_exhausted: { title: "Today's spending limit for your messages is reached.", action: 'It resets at midnight UTC; try again then.' },
  budget_unavailable: { title: 'The chat cannot check its usage budget right now.', action: TRY_AGAIN },
  // API keys and the OpenAI-compatible API (not met by this page; explained for completeness)
  api_key_missing: { title: 'This endpoint needs an API key.', action: ADMIN },
  api_key_invalid: { title: 'The API key was not accepted.', action: ADMIN },
  invalid_parameter: { title: 'The request had a parameter the chat cannot accept.', action: 'Reload the page and try again.' },
  unsupported_parameter: { title: 'The request used a feature this chat does not offer.', action: 'Reload the page and try again.' },
  image_url_not_supported: { title: 'Images must be sent inline; links to images are refused.', action: REPHRASE },
  response_format_unsupported: { title: 'The model cannot answer in the requested format.', action: ADMIN },
  // Sign-in (JWT)
  token_missing: { title: 'You are not signed in.', action: 'Sign in, then send your message again.' },
  token_invalid: { title: 'Your sign-in was not accepted.', action: 'Sign out, sign in again and resend.' },
  token_expired: { title: 'Your sign-in has expired.', action: 'Sign in again, then resend your message.' },
  token_not_yet_valid: { title: "Your sign-in is not valid yet (your device's clock may be wrong).", action: 'Check the clock, then sign in again.' },
  token_wrong_issuer: { title: 'Your sign-in comes from a service this chat does not trust.', action: 'Sign in through this page.' },
  token_wrong_audience: { title: 'Your sign-in was made for another application.', action: 'Sign in through this page.' },
  token_wrong_type: { title: 'Your sign-in token is of the wrong kind.', action: ADMIN },
  token_unknown_key: { title: 'Your sign-in was signed with a key the chat does not know.', action: 'Sign in again.' },
  token_missing_claim: { title: 'Your account lacks details this chat requires (such as an email address).', action: ADMIN },
  auth_unavailable: { title: 'The chat cannot check sign-ins right now.', action: TRY_AGAIN },
  sign_in_failed: { title: 'Signing in did not complete.', action: 'Try signing in again.' },
  // Caller credentials (the person's own AWS keys)
  credentials_required: {
    title: 'This chat needs your AWS credentials.',
    action: 'Enter an access key id and secret access key in the credentials form.',
  },
  invalid_credentials: {
    title: 'AWS did not accept the credentials you entered.',
    action: 'Check the access key id, secret key and session token, then try again.',
  },
  credentials_expired: {
    title: 'Your AWS credentials have expired.',
    action: 'Get fresh temporary credentials (for example `aws configure export-credentials`), enter them and resend.',
  },
  credentials_access_denied: {
    title: 'Your AWS identity may not use this model.',
    action: 'Ask for the IAM permission named in the message, and enable model access in the Bedrock console.',
  },
  region_not_allowed: { title: 'That AWS region is not allowed here.', action: 'Choose one of the regions offered.' },
  // An assumed role (the chat's own access to Bedrock in another account)
  role_assumption_denied: { title: 'The chat may not use its Bedrock account right now.', action: ADMIN },
  role_assumption_unavailable: { title: 'The chat cannot reach its Bedrock account right now.', action: TRY_AGAIN },
  // Content safety
  guardrail_intervened: {
    title: "The answer was stopped by the chat's content safety rules.",
    action: 'Rephrase your question; some topics are not answered here.',
  },
  // Model and knowledge base
  model_access_denied: { title: 'The chat may not use this model.', action: ADMIN },
  model_not_found: { title: 'The model is not available in this region.', action: ADMIN },
  model_rejected_request: {
    title: 'The model refused the request (often: the conversation is too long).',
    action: 'Start a new chat or shorten your message.',
  },
  knowledge_base_access_denied: { title: 'The chat may not read its documents.', action: ADMIN },
  knowledge_base_not_found: { title: "The chat's documents are missing.", action: ADMIN },
  retrieval_failed: { title: 'Searching the documents failed.', action: TRY_AGAIN },
  retrieval_unavailable: { title: 'The documents cannot be searched right now.', action: TRY_AGAIN },
  agent_access_denied: { title: 'The chat may not use its agent.', action: ADMIN },
  agent_not_found: { title: "The chat's agent is missing.", action: ADMIN },
  agent_rejected_request: { title: 'The agent refused the request.', action: REPHRASE },
  agent_session_busy: { title: 'This chat is still answering your previous message.', action: 'Wait for it to finish, then send again.' },
  history_unavailable: { title: 'Your saved chats cannot be reached right now.', action: TRY_AGAIN },
  upstream_error: { title: 'The model failed to answer.', action: TRY_AGAIN },
  upstream_unavailable: { title: 'The model cannot be reached right now.', action: TRY_AGAIN },
  upstream_timeout: { title: 'The answer took too long.', action: 'Try again, or ask a shorter question.' },
  internal_error: { title: 'Something went wrong in the chat.', action: TRY_AGAIN },
  // The page's own client
  access_denied: {
    title: 'The chat refused the signed request.',
    action: 'Reload the page; if it persists, check the credentials or the role (lambda:InvokeFunctionUrl).',
  },
  http_error: { title: 'The chat answered with an unexpected error.', action: TRY_AGAIN },
  unexpected_response: { title: 'The chat answered in a way the page does not understand.', action: 'Reload the page and try again.' },
  credentials_unavailable: { title: 'The page could not get credentials to call the chat.', action: 'Check your connection and reload the page.' },
  network_error: { title: 'The chat could not be reached.', action: 'Check your connection and try again.' },
  incomplete_response: { title: 'The answer was cut off.', action: TRY_AGAIN },
};

/** Advice for `code`, falling back on the HTTP status class for a code this page does not know yet. */
export function adviceFor(code: string, status?: number): ErrorAdvice {
  const known = ERROR_ADVICE[code];
  if (known) return known;
  if (status === 429) return { title: 'A usage limit was reached.', action: 'Wait a while, then try again.' };
  if (status === 401 || status === 403) return { title: 'The chat refused your credentials.', action: 'Sign in or enter your credentials again.' };
  if (status !== undefined && status >= 400 && status < 500) return { title: 'The chat refused the request.', action: REPHRASE };
  return { title: 'Something went wrong.', action: TRY_AGAIN };
}
