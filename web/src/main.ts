/**
 * The chat page: reads `/config.json`, offers its backends, streams answers into the conversation
 * (Markdown rendered safely, progressively), shows sources, stops on request, and explains errors.
 *
 * Secrets stay in memory: the credentials form's values and sign-in tokens live in variables of this
 * module only (never localStorage, sessionStorage, cookies or the URL), for the tab's life.
 */
import type { CredentialsProvider } from '../../client/guest-credentials';
import type { BackendConfig, PageConfig, SignInConfig } from '../../lib/website/page-config';
import { backendSender, ChatFailure, type Send, type Turn, type TypedCredentials } from './backends';
import { adviceFor } from './errors';
import { createFetchGuestCredentials } from './guest-credentials';
import { safeHref } from './markdown';
import { renderMarkdown } from './render';
import { completeSignIn, SignInError, signOutUrl, startSignIn, type Tokens, tokenFor } from './sign-in';

const MAX_HISTORY_TURNS = 20;

function byId<T extends HTMLElement>(id: string): T {
  const node = document.getElementById(id);
  if (!node) throw new Error(`The page lacks #${id}`);
  return node as T;
}

const ui = {
  title: byId<HTMLHeadingElement>('title'),
  backendField: byId('backend-field'),
  backend: byId<HTMLSelectElement>('backend'),
  modelField: byId('model-field'),
  model: byId<HTMLSelectElement>('model'),
  who: byId('who'),
  signIn: byId<HTMLButtonElement>('sign-in'),
  signOut: byId<HTMLButtonElement>('sign-out'),
  newChat: byId<HTMLButtonElement>('new-chat'),
  credentialsBox: byId<HTMLDetailsElement>('credentials-box'),
  credentialsSummary: byId('credentials-summary'),
  credentials: byId<HTMLFormElement>('credentials'),
  accessKeyId: byId<HTMLInputElement>('access-key-id'),
  secretAccessKey: byId<HTMLInputElement>('secret-access-key'),
  sessionToken: byId<HTMLInputElement>('session-token'),
  region: byId<HTMLSelectElement>('region'),
  regionLabel: byId('region-label'),
  forgetCredentials: byId<HTMLButtonElement>('forget-credentials'),
  credentialsState: byId('credentials-state'),
  conversation: byId('conversation'),
  empty: byId('empty'),
  error: byId('error'),
  status: byId('status'),
  composer: byId<HTMLFormElement>('composer'),
  message: byId<HTMLTextAreaElement>('message'),
  send: byId<HTMLButtonElement>('send'),
  stop: byId<HTMLButtonElement>('stop'),
};

/** Everything secret lives here, in memory only. */
const secrets: { typed?: TypedCredentials; tokens: Map<string, Tokens> } = { tokens: new Map() };

let config: PageConfig;
let backend: BackendConfig;
let send: Send;
let history: Turn[] = [];
let chatId: string | undefined;
let running: AbortController | undefined;
const guestProviders = new Map<string, CredentialsProvider>();

function currentToken(): string | undefined {
  if (backend.kind !== 'jwt') return undefined;
  const tokens = secrets.tokens.get(backend.id);
  if (!tokens || tokens.expiresAt <= Date.now()) return undefined;
  return tokenFor(backend.signIn, tokens);
}

function selectBackend(id: string): void {
  backend = config.backends.find((b) => b.id === id) ?? (config.backends[0] as BackendConfig);
  ui.backend.value = backend.id;
  send = backendSender(
    backend,
    {
      token: currentToken,
      typedCredentials: () => secrets.typed,
      guestCredentials: (guest) => {
        let provider = guestProviders.get(guest.id);
        if (!provider) {
          provider = createFetchGuestCredentials({
            identityPoolId: guest.identityPoolId,
            guestRoleArn: guest.guestRoleArn,
            ...(guest.cognitoIdentityEndpoint ? { cognitoIdentityEndpoint: new URL(guest.cognitoIdentityEndpoint, location.href).toString() } : {}),
            ...(guest.stsEndpoint ? { stsEndpoint: new URL(guest.stsEndpoint, location.href).toString() } : {}),
          });
          guestProviders.set(guest.id, provider);
        }
        return provider;
      },
    },
    location.href,
  );
  ui.model.replaceChildren(...backend.models.map((alias) => new Option(alias, alias)));
  ui.modelField.hidden = backend.models.length < 2;
  const needsCredentials = backend.kind === 'iam' || backend.kind === 'caller-credentials';
  ui.credentialsBox.hidden = !needsCredentials;
  const regions = backend.kind === 'caller-credentials' ? backend.allowedRegions : [];
  ui.region.replaceChildren(...regions.map((region) => new Option(region, region)));
  ui.region.hidden = ui.regionLabel.hidden = regions.length === 0;
  refreshSignIn();
  newChat();
}

function refreshSignIn(): void {
  const jwt = backend.kind === 'jwt';
  const signedIn = currentToken() !== undefined;
  ui.signIn.hidden = !jwt || signedIn;
  ui.signOut.hidden = !jwt || !signedIn;
  // The name shown comes from the ID token when there is one (access tokens carry no email), else the token sent.
  const shown = backend.kind === 'jwt' ? (secrets.tokens.get(backend.id)?.idToken ?? currentToken()) : undefined;
  ui.who.textContent = jwt ? (signedIn ? `Signed in${subjectOf(shown ?? '')}` : 'Not signed in') : '';
}

/** The token's `email` or `sub`, for display only (the signature is the backend's to check). */
function subjectOf(token: string): string {
  try {
    const payload = JSON.parse(atob(token.split('.')[1]?.replace(/-/g, '+').replace(/_/g, '/'))) as { email?: unknown; sub?: unknown };
    const who = typeof payload.email === 'string' ? payload.email : typeof payload.sub === 'string' ? payload.sub : '';
    return who ? ` as ${who}` : '';
  } catch {
    return '';
  }
}

function newChat(): void {
  running?.abort();
  history = [];
  chatId = undefined;
  ui.conversation.replaceChildren(ui.empty);
  hideError();
  ui.status.textContent = '';
}

function hideError(): void {
  ui.error.hidden = true;
  ui.error.replaceChildren();
}

function describeError(code: string, message: string, status?: number, retryAfter?: number): HTMLElement {
  const advice = adviceFor(code, status);
  const box = document.createElement('div');
  box.className = 'problem';
  const title = document.createElement('p');
  title.className = 'problem-title';
  title.textContent = advice.title;
  const action = document.createElement('p');
  action.textContent = retryAfter !== undefined ? `${advice.action} (You can send again in ${retryAfter} s.)` : advice.action;
  const detail = document.createElement('p');
  detail.className = 'problem-detail';
  detail.textContent = `${message ? `${message} ` : ''}(code ${code}${status ? `, HTTP ${status}` : ''})`;
  box.append(title, action, detail);
  return box;
}

function showError(code: string, message: string, status?: number, retryAfter?: number): void {
  ui.error.replaceChildren(describeError(code, message, status, retryAfter));
  ui.error.hidden = false;
}

function addMessage(role: 'user' | 'assistant'): { article: HTMLElement; body: HTMLElement } {
  ui.empty.remove();
  const article = document.createElement('article');
  article.className = `message ${role}`;
  const heading = document.createElement('h2');
  heading.className = 'visually-hidden';
  heading.textContent = role === 'user' ? 'You wrote' : 'Answer';
  const body = document.createElement('div');
  body.className = 'body';
  article.append(heading, body);
  ui.conversation.append(article);
  return { article, body };
}

function showSources(article: HTMLElement, sources: readonly { title: string; url?: string; score: number }[], fallback: boolean): void {
  if (sources.length === 0 && !fallback) return;
  const section = document.createElement('section');
  section.className = 'sources';
  const heading = document.createElement('h3');
  heading.textContent = fallback ? 'No document matched this question' : 'Sources';
  section.append(heading);
  if (sources.length > 0) {
    const list = document.createElement('ol');
    for (const source of sources) {
      const item = document.createElement('li');
      const href = source.url === undefined ? undefined : safeHref(source.url);
      const name = document.createElement(href ? 'a' : 'span');
      name.textContent = source.title;
      if (href && name instanceof HTMLAnchorElement) {
        name.href = href;
        name.rel = 'noopener noreferrer';
        name.target = '_blank';
      }
      const score = document.createElement('span');
      score.className = 'score';
      score.textContent = ` relevance ${Math.round(Number(source.score) * 100)}%`;
      item.append(name, score);
      list.append(item);
    }
    section.append(list);
  }
  article.append(section);
}

function note(article: HTMLElement, text: string): void {
  const p = document.createElement('p');
  p.className = 'note';
  p.textContent = text;
  article.append(p);
}

function setRunning(controller: AbortController | undefined): void {
  running = controller;
  ui.stop.disabled = controller === undefined;
  ui.send.disabled = controller !== undefined;
  ui.conversation.setAttribute('aria-busy', String(controller !== undefined));
}

async function ask(text: string): Promise<void> {
  if (running) return;
  hideError();
  const user = addMessage('user');
  user.body.textContent = text;
  const { article, body } = addMessage('assistant');
  article.setAttribute('aria-busy', 'true');
  const controller = new AbortController();
  setRunning(controller);
  ui.status.textContent = 'Answering…';

  let answer = '';
  let painted = '';
  let frame: number | undefined;
  const paint = (): void => {
    frame = undefined;
    if (answer === painted) return;
    painted = answer;
    body.replaceChildren(renderMarkdown(answer));
    ui.conversation.scrollTop = ui.conversation.scrollHeight;
  };
  const finish = (): void => {
    if (frame !== undefined) cancelAnimationFrame(frame);
    paint();
  };
  try {
    const model = backend.models.length > 1 ? ui.model.value : undefined;
    for await (const event of send({
      message: text,
      history,
      ...(model ? { model } : {}),
      ...(chatId ? { chatId } : {}),
      signal: controller.signal,
    })) {
      if (event.type === 'delta') {
        answer += event.text;
        frame ??= requestAnimationFrame(paint);
      } else if (event.type === 'done') {
        finish();
        showSources(article, event.sources, event.fallback);
        if (event.chatId) chatId = event.chatId;
        if (event.stopReason === 'guardrail_intervened') {
          article.append(describeError('guardrail_intervened', ''));
          showError('guardrail_intervened', '');
        } else {
          if (event.stopReason === 'max_tokens') note(article, 'The answer reached its length limit.');
          history = [...history, { role: 'user' as const, content: text }, { role: 'assistant' as const, content: answer }].slice(-MAX_HISTORY_TURNS);
        }
        ui.status.textContent = 'Answer complete.';
      } else {
        finish();
        article.append(describeError(event.code, event.message));
        showError(event.code, event.message);
        ui.status.textContent = 'The answer failed.';
      }
    }
  } catch (error) {
    finish();
    if (controller.signal.aborted) {
      note(article, answer === '' ? 'Stopped before the answer began.' : 'Stopped.');
      ui.status.textContent = 'Stopped.';
    } else if (error instanceof ChatFailure) {
      if (answer === '') article.remove();
      showError(error.code, error.message, error.status, error.retryAfter);
      ui.status.textContent = 'The message was not answered.';
      if (error.code === 'token_expired' || error.code === 'token_invalid') {
        secrets.tokens.delete(backend.id);
        refreshSignIn();
      }
    } else {
      if (answer === '') article.remove();
      showError('network_error', error instanceof Error ? error.message : String(error));
      ui.status.textContent = 'The message was not answered.';
    }
  } finally {
    article.setAttribute('aria-busy', 'false');
    setRunning(undefined);
  }
}

function wire(): void {
  ui.backend.addEventListener('change', () => selectBackend(ui.backend.value));
  ui.newChat.addEventListener('click', () => {
    newChat();
    ui.message.focus();
  });
  ui.stop.addEventListener('click', () => {
    running?.abort();
    ui.message.focus();
  });
  ui.composer.addEventListener('submit', (event) => {
    event.preventDefault();
    const text = ui.message.value.trim();
    if (text === '' || running) return;
    ui.message.value = '';
    void ask(text);
  });
  ui.message.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      ui.composer.requestSubmit();
    } else if (event.key === 'Escape' && running) {
      event.preventDefault();
      running.abort();
    }
  });
  ui.credentials.addEventListener('submit', (event) => {
    event.preventDefault();
    const accessKeyId = ui.accessKeyId.value.trim();
    const secretAccessKey = ui.secretAccessKey.value.trim();
    const sessionToken = ui.sessionToken.value.trim();
    if (!accessKeyId || !secretAccessKey) {
      ui.credentialsState.textContent = 'Enter an access key id and a secret access key.';
      return;
    }
    secrets.typed = {
      accessKeyId,
      secretAccessKey,
      ...(sessionToken ? { sessionToken } : {}),
      ...(backend.kind === 'caller-credentials' && ui.region.value ? { region: ui.region.value } : {}),
    };
    // The secrets leave the form: only this module's variable holds them now.
    ui.secretAccessKey.value = '';
    ui.sessionToken.value = '';
    const summary = `${accessKeyId.slice(0, 4)}…${accessKeyId.slice(-4)}${sessionToken ? ' with a session token' : ''}, in this tab only`;
    ui.credentialsState.textContent = `Using ${summary}.`;
    ui.credentialsSummary.textContent = summary;
    ui.credentialsBox.open = false;
    ui.message.focus();
  });
  ui.forgetCredentials.addEventListener('click', () => {
    delete secrets.typed;
    ui.accessKeyId.value = ui.secretAccessKey.value = ui.sessionToken.value = '';
    ui.credentialsState.textContent = 'Forgotten.';
    ui.credentialsSummary.textContent = 'not set';
  });
  ui.signIn.addEventListener('click', () => {
    if (backend.kind !== 'jwt') return;
    startSignIn(backend.signIn, backend.id, location).catch((error: unknown) => showError('sign_in_failed', String(error)));
  });
  ui.signOut.addEventListener('click', () => {
    if (backend.kind !== 'jwt') return;
    secrets.tokens.delete(backend.id);
    const url = signOutUrl(backend.signIn, location);
    if (url) location.assign(url);
    else refreshSignIn();
  });
}

async function start(): Promise<void> {
  wire();
  try {
    const response = await fetch('config.json', { cache: 'no-store' });
    if (!response.ok) throw new Error(`config.json: HTTP ${response.status}`);
    config = (await response.json()) as PageConfig;
    if (!Array.isArray(config.backends) || config.backends.length === 0) throw new Error('config.json names no backend');
  } catch (error) {
    showError('unexpected_response', `The page's configuration could not be loaded: ${(error as Error).message}`);
    ui.send.disabled = true;
    return;
  }
  ui.title.textContent = config.title;
  document.title = config.title;
  ui.backend.replaceChildren(...config.backends.map((b) => new Option(b.label, b.id)));
  ui.backendField.hidden = config.backends.length < 2;
  let selected = config.backends[0]?.id;
  try {
    const returned = await completeSignIn(
      (id) => {
        const b = config.backends.find((candidate) => candidate.id === id);
        return b?.kind === 'jwt' ? (b.signIn satisfies SignInConfig) : undefined;
      },
      location,
      history_,
    );
    if (returned) {
      secrets.tokens.set(returned.backendId, returned.tokens);
      selected = returned.backendId;
    }
  } catch (error) {
    selectBackend(selected);
    showError('sign_in_failed', error instanceof SignInError ? error.message : String(error));
    return;
  }
  selectBackend(selected);
  ui.message.focus();
}

// `history` is the conversation above; the browser's History object is reached through this name.
const history_ = window.history;

void start();
