// A customer conversation as the agent sees it: the whole thread, the customer's metadata, why it
// came to a person, and what the machine decided on each message. Read again every second while
// shown (the customer may be typing); with `controls`, the agent writes, hands back to the bot or
// closes. Every text is React text: nothing a customer types is ever markup.
import { useCallback, useEffect, useRef, useState } from 'react';
import { get, message, post } from './api.ts';
import { outcomeText } from './ItemView.tsx';
import type { ConversationDetail } from './types.ts';

const authorName = { customer: 'Customer', bot: 'Bot', agent: 'Agent', system: 'Notice' } as const;

export function ConversationPanel({ id, controls, onDone }: { id: string; controls: boolean; onDone?: () => void }) {
  const [detail, setDetail] = useState<ConversationDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const threadRef = useRef<HTMLOListElement>(null);

  const load = useCallback(async () => {
    try {
      setDetail(await get<ConversationDetail>(`/v1/conversations/${id}`));
      setError(null);
    } catch (err) {
      setError(message(err));
    }
  }, [id]);

  useEffect(() => {
    void load();
    const t = setInterval(() => void load(), 1000);
    return () => clearInterval(t);
  }, [load]);

  const count = detail?.messages.length ?? 0;
  useEffect(() => {
    const el = threadRef.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count]);

  const act = async (path: string, body?: unknown) => {
    setBusy(true);
    try {
      await post(path, body);
      await load();
      return true;
    } catch (err) {
      setError(message(err));
      return false;
    } finally {
      setBusy(false);
    }
  };

  if (!detail) return <section className="conversation" aria-label="Conversation"><p className="muted">{error ?? 'Loading the conversation…'}</p></section>;
  const c = detail.conversation;
  return (
    <section className="conversation" aria-label="Conversation" data-conversation-id={c.id} data-state={c.state}>
      <header className="conversation-head">
        <h3>Conversation with {c.customerId}</h3>
        <span className={`tag state-${c.state}`} data-testid="conversation-state">{c.state === 'waiting' ? 'waiting for a person' : c.state}</span>
        {c.handoffReasons.length > 0 && <span className="muted small">handed over: {c.handoffReasons.join(', ')}</span>}
        {c.rating && <span className="tag">rated {c.rating === 'up' ? '👍' : '👎'}</span>}
      </header>
      {Object.keys(c.customer).length > 0 && (
        <dl className="customer-meta" aria-label="Customer">
          {Object.entries(c.customer).map(([k, v]) => (
            <div key={k}>
              <dt>{k}</dt>
              <dd>{String(v)}</dd>
            </div>
          ))}
        </dl>
      )}
      <ol className="chat-thread" ref={threadRef} aria-label="Thread">
        {detail.messages.map((m) => (
          <li key={m.seq} className={`chat-msg ${m.author}`} data-author={m.author}>
            <span className="who">{authorName[m.author]}</span> <span className="chat-text">{m.text}</span>
          </li>
        ))}
      </ol>
      <details className="decisions">
        <summary>Earlier decisions ({detail.items.length})</summary>
        <ul>
          {detail.items.map((i) => (
            <li key={i.id}>
              <span className="chat-text">“{(i.text ?? '').slice(0, 120)}”</span> → {i.route.route}
              {i.prediction?.label ? ` (${i.prediction.label})` : ''}: {i.route.reasons.map((r) => r.code === 'signal' ? `signal ${(r as { signal?: string }).signal}` : r.code).join(', ')}
              {i.decision ? ` — ${i.decision.source}: ${outcomeText(i.decision.outcome)}` : i.openTaskId ? ' — waiting for a person' : ''}
            </li>
          ))}
        </ul>
      </details>
      {error && <p className="notice error" role="alert">{error}</p>}
      {controls && c.state !== 'closed' && (
        <form
          className="conversation-reply"
          onSubmit={(e) => {
            e.preventDefault();
            if (text.trim()) void act(`/v1/conversations/${c.id}/messages`, { text }).then((ok) => ok && setText(''));
          }}
        >
          <label className="block">
            Message to the customer
            <textarea rows={3} value={text} onChange={(e) => setText(e.target.value)} />
          </label>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy || !text.trim()}>Send message</button>
            <button type="button" disabled={busy || c.state === 'bot'} onClick={() => void act(`/v1/conversations/${c.id}/handback`)}>Hand back to the bot</button>
            <button type="button" disabled={busy} onClick={() => void act(`/v1/conversations/${c.id}/close`).then((ok) => ok && onDone?.())}>Close conversation</button>
            {onDone && <button type="button" className="link" onClick={onDone}>Hide</button>}
          </div>
        </form>
      )}
    </section>
  );
}
