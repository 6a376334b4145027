// The customer's chat widget (/demo/chat): plain DOM, no framework, every message put in with
// textContent so whatever a customer or agent types is shown as text and never run. It talks to
// Tandem only through the public chat API with its own conversation token (kept in this tab's
// sessionStorage): no API key ever reaches the browser.
import './chat.css';

interface Message {
  seq: number;
  author: 'customer' | 'bot' | 'agent' | 'system';
  text: string;
  createdAt: string;
}
interface Wait {
  seconds: number;
}
interface Problem {
  detail?: string;
  title?: string;
}
interface Session {
  id: string;
  token: string;
  customerId: string;
}

const params = new URLSearchParams(location.search);
const workflow = params.get('workflow') ?? 'support-chat';
const storageKey = `tandem.chat.${workflow}`;
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const thread = $<HTMLOListElement>('thread');
const stateLine = $<HTMLParagraphElement>('state');
const notice = $<HTMLParagraphElement>('notice');
const form = $<HTMLFormElement>('composer');
const input = $<HTMLTextAreaElement>('text');
const send = $<HTMLButtonElement>('send');
const up = $<HTMLButtonElement>('up');
const down = $<HTMLButtonElement>('down');
const rated = $<HTMLSpanElement>('rated');

const seen = new Set<number>();
let lastSeq = 0;
let session: Session | null = null;
let blockedUntil = 0;

const who: Record<Message['author'], string> = { customer: 'You', bot: 'Assistant', agent: 'Agent', system: '' };

function show(m: Message): void {
  if (seen.has(m.seq)) return;
  seen.add(m.seq);
  lastSeq = Math.max(lastSeq, m.seq);
  const li = document.createElement('li');
  li.className = `msg ${m.author}`;
  li.dataset.seq = String(m.seq);
  li.dataset.author = m.author;
  if (who[m.author]) {
    const name = document.createElement('span');
    name.className = 'who';
    name.textContent = who[m.author];
    li.append(name);
  }
  const body = document.createElement('p');
  body.className = 'body';
  body.textContent = m.text;
  li.append(body);
  // Keep the thread in message order even when a poll and a send answer race.
  const after = [...thread.children].find((c) => Number((c as HTMLElement).dataset.seq) > m.seq);
  thread.insertBefore(li, after ?? null);
  li.scrollIntoView({ block: 'end' });
}

function showState(state: string, wait: Wait | null): void {
  stateLine.dataset.state = state;
  if (state === 'waiting') stateLine.textContent = `Waiting for a person${wait ? ` — ${waitWords(wait.seconds)} (estimate)` : ''}`;
  else if (state === 'human') stateLine.textContent = 'You are chatting with a person';
  else if (state === 'closed') stateLine.textContent = 'Conversation closed — write to start again';
  else stateLine.textContent = 'Our assistant answers right away';
}

function waitWords(seconds: number): string {
  if (seconds < 60) return 'less than a minute';
  const m = Math.round(seconds / 60);
  return `about ${m} minute${m === 1 ? '' : 's'}`;
}

async function call<T>(method: 'GET' | 'POST', path: string, body?: unknown, token?: string): Promise<{ status: number; body: T | Problem | null; retryAfter: number | null }> {
  const res = await fetch(path, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = { detail: `HTTP ${res.status}` };
  }
  const retry = Number(res.headers.get('retry-after'));
  return { status: res.status, body: parsed as T | Problem | null, retryAfter: Number.isFinite(retry) && retry > 0 ? retry : null };
}

function newCustomerId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(9));
  return `web-${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

async function open(): Promise<Session> {
  const saved = sessionStorage.getItem(storageKey);
  if (saved) {
    try {
      return JSON.parse(saved) as Session;
    } catch {
      sessionStorage.removeItem(storageKey);
    }
  }
  const customerId = localStorage.getItem('tandem.chat.customer') ?? newCustomerId();
  localStorage.setItem('tandem.chat.customer', customerId);
  const r = await call<{ conversation: { id: string }; token: string }>('POST', `/v1/chat/${encodeURIComponent(workflow)}/conversations`, { customerId });
  if (r.status !== 201) throw new Error((r.body as Problem | null)?.detail ?? `could not start a conversation (HTTP ${r.status})`);
  const ok = r.body as { conversation: { id: string }; token: string };
  const s = { id: ok.conversation.id, token: ok.token, customerId };
  sessionStorage.setItem(storageKey, JSON.stringify(s));
  return s;
}

async function poll(s: Session): Promise<void> {
  let delay = 500;
  for (;;) {
    try {
      const r = await call<{ state: string; messages: Message[]; wait: Wait | null }>('GET', `/v1/chat/conversations/${s.id}/messages?after=${lastSeq}&waitSeconds=25`, undefined, s.token);
      if (r.status === 200) {
        const b = r.body as { state: string; messages: Message[]; wait: Wait | null };
        b.messages.forEach(show);
        showState(b.state, b.wait);
        delay = 500;
        continue;
      }
      if (r.status === 401 || r.status === 404) {
        // The conversation is gone (a new database): start a new one.
        sessionStorage.removeItem(storageKey);
        location.reload();
        return;
      }
    } catch {
      // offline for a moment: try again below
    }
    stateLine.textContent = 'Reconnecting…';
    await new Promise((r) => setTimeout(r, delay));
    delay = Math.min(delay * 2, 10_000);
  }
}

function say(text: string, kind: 'info' | 'error' = 'info'): void {
  notice.textContent = text;
  notice.dataset.kind = kind;
}

form.addEventListener('submit', (e) => {
  e.preventDefault();
  void submit();
});
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && !e.shiftKey) {
    e.preventDefault();
    void submit();
  }
});

async function submit(): Promise<void> {
  const s = session;
  const text = input.value.trim();
  if (!s || !text) return;
  if (Date.now() < blockedUntil) {
    const wait = Math.ceil((blockedUntil - Date.now()) / 1000);
    say(`You're sending messages faster than we can read them. Please wait ${wait} second${wait === 1 ? '' : 's'} and send again — your text is still here.`);
    return;
  }
  send.disabled = true;
  try {
    const r = await call<{ message: Message; state: string; reply: Message | null; notice: Message | null; wait: Wait | null }>(
      'POST', `/v1/chat/conversations/${s.id}/messages`, { customerId: s.customerId, text }, s.token,
    );
    if (r.status === 202) {
      const b = r.body as { message: Message; state: string; reply: Message | null; notice: Message | null; wait: Wait | null };
      input.value = '';
      say('');
      [b.message, b.reply, b.notice].forEach((m) => m && show(m));
      showState(b.state, b.wait);
    } else if (r.status === 429) {
      const wait = r.retryAfter ?? 5;
      blockedUntil = Date.now() + wait * 1000;
      say(`You're sending messages faster than we can read them. Please wait ${wait} second${wait === 1 ? '' : 's'} and send again — your text is still here.`);
    } else {
      const p = r.body as Problem | null;
      say(p?.detail ?? p?.title ?? `Your message was not sent (HTTP ${r.status}).`, 'error');
    }
  } catch {
    say('Your message was not sent: the connection dropped. Please try again.', 'error');
  } finally {
    send.disabled = false;
    input.focus();
  }
}

async function rate(rating: 'up' | 'down'): Promise<void> {
  const s = session;
  if (!s) return;
  const r = await call('POST', `/v1/chat/conversations/${s.id}/rating`, { rating }, s.token).catch(() => null);
  if (r?.status === 204) {
    up.setAttribute('aria-pressed', String(rating === 'up'));
    down.setAttribute('aria-pressed', String(rating === 'down'));
    rated.textContent = 'Thanks for your feedback!';
  } else {
    rated.textContent = 'Your rating was not saved; please try again.';
  }
}
up.addEventListener('click', () => void rate('up'));
down.addEventListener('click', () => void rate('down'));

open()
  .then((s) => {
    session = s;
    document.body.dataset.conversation = s.id;
    showState('bot', null);
    input.focus();
    void poll(s);
  })
  .catch((err: unknown) => {
    stateLine.textContent = 'Chat is not available';
    say(err instanceof Error ? err.message : String(err), 'error');
    send.disabled = true;
  });
