// The reviewer's workspace: queues, and the next-task loop. One keystroke per common action;
// the next task is claimed ahead (prefetch) so it shows the moment an answer is sent; leases are
// kept alive while the tab is open, and a lost lease is said plainly.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiError, get, message, post, token, type Me } from './api.ts';
import { openLive } from './live.ts';
import { Countdown, Fields, Highlighted, outcomeText, pct } from './ItemView.tsx';
import type { Claim, Conversation, Outcome, QueueView, Reason, Workflow } from './types.ts';
import { ConversationPanel } from './ConversationPanel.tsx';

const leaseSeconds = 120;
const heartbeatMs = 30_000;
// Keys for labels: digits first, then letters that no action uses (a d e n r s v are taken).
const labelKeys = [...'1234567890', ...'bcfghijklmopqtuwxyz'];

interface Current {
  claim: Claim;
  shownAt: number;
  lost: string | null;
}

interface Notice {
  kind: 'error' | 'info';
  text: string;
}

/** What happened to the last task; in blind mode, with the suggestion that was hidden until the answer. */
interface Last {
  text: string;
  answer?: string;
  suggestion?: Suggestion | null;
}

interface Suggestion {
  label: string | null;
  confidence: number | null;
}

interface Urgent {
  workflow: string;
  taskId: string;
  kind: string;
  priority: number;
  createdAt: string;
}

function reasonText(r: Reason): string {
  switch (r.code) {
    case 'below_threshold':
      return r.confidence !== undefined ? `confidence ${pct(r.confidence)} is below the threshold ${pct(r.threshold)}` : 'the machine was not confident enough';
    case 'confident':
      return r.confidence !== undefined ? `confident (${pct(r.confidence)})` : 'the machine was confident';
    case 'no_model':
      return 'no model yet';
    case 'model_error':
      return `the model failed: ${r.message ?? ''}`;
    case 'unknown_label':
      return 'the model named a label the workflow does not have';
    case 'out_of_scope':
      return `the text is unlike what the model learned (coverage ${pct(r.coverage)})`;
    case 'rule':
      return `rule “${r.name ?? r.rule}” (${r.action})`;
    case 'audit_sample':
      return `sampled for audit (${pct(r.rate)})`;
    case 'target_accuracy':
      return r.note ?? 'target accuracy';
    case 'surge':
      return r.note ?? 'surge policy';
    case 'auto_send_off':
      return 'automatic sending is off for this workflow';
    case 'no_draft':
      return `no draft: ${r.message ?? ''}`;
    case 'draft_below_threshold':
      return `draft confidence ${pct(r.confidence)} is below the sending threshold ${pct(r.threshold)}`;
    case 'signal':
      return `${(r as { signal?: string }).signal?.replace(/_/g, ' ') ?? 'signal'}: ${(r as { detail?: string }).detail ?? ''}`;
    default:
      return r.code;
  }
}

async function release(c: Claim | null, keepalive = false): Promise<void> {
  if (!c) return;
  const t = token();
  await fetch(`/v1/tasks/${c.task.id}/release`, {
    method: 'POST',
    keepalive,
    headers: { 'content-type': 'application/json', ...(t ? { authorization: `Bearer ${t}` } : {}) },
    body: JSON.stringify({ assignment: c.task.assignment }),
  }).catch(() => {});
}

export function Workspace({ me }: { me: Me }) {
  const lead = me.role !== 'reviewer';
  const [workflows, setWorkflows] = useState<Map<string, Workflow>>(new Map());
  const [queues, setQueues] = useState<QueueView[]>([]);
  const [urgent, setUrgent] = useState<Urgent[]>([]);
  const [live, setLive] = useState(false);
  const [chosen, setChosen] = useState<string | null>(null);
  const [current, setCurrent] = useState<Current | null>(null);
  const [loading, setLoading] = useState(false);
  const [empty, setEmpty] = useState(false);
  const [pick, setPick] = useState<string | null>(null);
  const [filter, setFilter] = useState('');
  const [reply, setReply] = useState('');
  const [edited, setEdited] = useState('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [last, setLast] = useState<Last | null>(null);
  const [showKeys, setShowKeys] = useState(false);
  const [revealed, setRevealed] = useState<{ itemId: string; text: string | null } | null>(null);
  const [openConversation, setOpenConversation] = useState<string | null>(null);
  const [conversations, setConversations] = useState<Conversation[]>([]);
  // Bumped by each handoff on the live feed: the list of live conversations is read again at once.
  const [handoffs, setHandoffs] = useState(0);
  const nextRef = useRef<Claim | null>(null);
  const prefetching = useRef<Promise<void> | null>(null);
  const currentRef = useRef<Current | null>(null);
  const chosenRef = useRef<string | null>(null);
  currentRef.current = current;
  chosenRef.current = chosen;
  const filterRef = useRef<HTMLInputElement>(null);
  const cardRef = useRef<HTMLElement>(null);
  const replyRef = useRef<HTMLTextAreaElement>(null);

  useEffect(() => {
    get<{ workflows: Workflow[] }>('/v1/workflows').then((r) => setWorkflows(new Map(r.workflows.map((w) => [w.name, w])))).catch(() => {});
    get<{ queues: QueueView[] }>('/v1/queues').then((r) => setQueues(r.queues)).catch(() => {});
    return openLive(
      (event, data) => {
        if (event === 'queues') setQueues((data as { queues: QueueView[] }).queues);
        if (event === 'urgent') setUrgent((u) => [data as Urgent, ...u].slice(0, 5));
        if (event === 'handoff') setHandoffs((n) => n + 1);
      },
      setLive,
    );
  }, []);

  // Customers waiting for or talking with a person, when any workflow here takes conversations.
  const hasReplies = [...workflows.values()].some((w) => w.answerType === 'reply');
  useEffect(() => {
    if (!hasReplies) return;
    const load = () => get<{ conversations: Conversation[] }>('/v1/conversations?state=waiting,human&limit=20').then((r) => setConversations(r.conversations)).catch(() => {});
    void load();
    const t = setInterval(() => void load(), 5000);
    return () => clearInterval(t);
  }, [hasReplies, handoffs]);

  // Whatever is leased when the page goes away goes back to the queue at once, not at lease expiry.
  useEffect(() => {
    const away = () => {
      void release(nextRef.current, true);
      void release(currentRef.current?.claim ?? null, true);
    };
    window.addEventListener('pagehide', away);
    return () => {
      window.removeEventListener('pagehide', away);
      away();
      nextRef.current = null;
    };
  }, []);

  const claimOne = useCallback(
    () => post<Claim | null>('/v1/tasks/claim', { ...(chosenRef.current ? { workflow: chosenRef.current } : {}), leaseSeconds }),
    [],
  );

  const prefetch = useCallback(() => {
    if (nextRef.current || prefetching.current) return;
    prefetching.current = claimOne()
      .then((c) => {
        nextRef.current = c;
      })
      .catch(() => {})
      .finally(() => {
        prefetching.current = null;
      });
  }, [claimOne]);

  const show = useCallback((c: Claim | null) => {
    setPick(null);
    setFilter('');
    // A reply workflow's draft is the starting point: the agent sends, edits or rewrites it.
    setReply(c?.item.prediction?.draft?.text ?? '');
    setRevealed(null);
    setEdited(c ? JSON.stringify(c.item.fields, null, 2) : '');
    setCurrent(c ? { claim: c, shownAt: performance.now(), lost: null } : null);
    setEmpty(c === null);
  }, []);

  /**
   * Shows the prefetched task at once, or claims one; then claims the one after, unless an answer
   * on its way brings that one (`next`).
   */
  const advance = useCallback(async (ahead: 'claim' | 'with answer' = 'claim') => {
    let c = nextRef.current;
    nextRef.current = null;
    if (!c) {
      setLoading(true);
      try {
        if (prefetching.current) await prefetching.current;
        c = nextRef.current ?? (await claimOne());
        nextRef.current = null;
      } catch (err) {
        setNotice({ kind: 'error', text: `Could not get a task: ${message(err)}` });
        c = null;
      } finally {
        setLoading(false);
      }
    }
    show(c);
    if (c && ahead === 'claim') prefetch();
  }, [claimOne, prefetch, show]);

  const lostLease = useCallback((taskId: string, why: string) => {
    setCurrent((cur) => (cur && cur.claim.task.id === taskId ? { ...cur, lost: why } : cur));
  }, []);

  // Heartbeats keep both leases (the task shown and the one claimed ahead) while the tab is open.
  useEffect(() => {
    const beat = async () => {
      const cur = currentRef.current;
      if (cur && !cur.lost) {
        try {
          await post(`/v1/tasks/${cur.claim.task.id}/heartbeat`, { assignment: cur.claim.task.assignment, leaseSeconds });
        } catch (err) {
          if (err instanceof ApiError && (err.status === 409 || err.status === 404)) lostLease(cur.claim.task.id, err.message);
        }
      }
      const next = nextRef.current;
      if (next) {
        try {
          await post(`/v1/tasks/${next.task.id}/heartbeat`, { assignment: next.task.assignment, leaseSeconds });
        } catch {
          if (nextRef.current === next) nextRef.current = null;
        }
      }
    };
    const t = setInterval(() => void beat(), heartbeatMs);
    return () => clearInterval(t);
  }, [lostLease]);

  const shownTask = current?.claim.task.id;
  useEffect(() => {
    if (shownTask && (document.activeElement === document.body || document.activeElement?.tagName === 'BUTTON')) cardRef.current?.focus({ preventScroll: true });
  }, [shownTask]);

  const wf = current ? workflows.get(current.claim.item.workflow) : undefined;

  const labels = useMemo(() => {
    if (!current || !wf || wf.answerType !== 'label') return [];
    const probs = current.claim.item.prediction?.labels ?? {};
    const ordered = [...wf.labels].sort((a, b) => (probs[b] ?? 0) - (probs[a] ?? 0));
    const f = filter.trim().toLowerCase();
    return f ? ordered.filter((l) => l.toLowerCase().includes(f)) : ordered;
  }, [current, wf, filter]);

  const submit = useCallback(
    (outcome: Outcome) => {
      const cur = currentRef.current;
      if (!cur) return;
      if (cur.lost) {
        setNotice({ kind: 'error', text: 'This task is no longer yours, so the answer was not sent. Press n for the next task.' });
        return;
      }
      const { task, item } = cur.claim;
      const timeSpentMs = Math.round(performance.now() - cur.shownAt);
      const conversationId = item.metadata.conversationId;
      if (typeof conversationId === 'string') setOpenConversation(conversationId);
      void advance('with answer');
      setNotice(null);
      const { type: _type, ...body } = outcome;
      // The answer brings the task after the one now shown: one round trip instead of two.
      const workflow = chosenRef.current;
      post<{ decision: { outcome: unknown } | null; suggestion?: Suggestion | null; next?: Claim | null }>(`/v1/tasks/${task.id}/answer`, {
        assignment: task.assignment, ...body, timeSpentMs, next: { ...(workflow ? { workflow } : {}), leaseSeconds },
      })
        .then((r) => {
          setLast({
            text: `Saved: ${outcomeText(outcome)} on ${item.workflow}${r.decision ? ' — decided' : ''}.`,
            ...(item.blind ? { answer: outcomeText(outcome), suggestion: r.suggestion ?? null } : {}),
          });
          const next = r.next ?? null;
          // It waits as the one ahead, unless the reviewer moved on meanwhile: another workflow
          // chosen, one claimed ahead already, or nothing shown (the queue had run dry).
          if (next && chosenRef.current === workflow && currentRef.current && !nextRef.current && !prefetching.current) nextRef.current = next;
          else if (next) void release(next);
          else if (currentRef.current) prefetch();
        })
        .catch((err) => {
          setNotice({ kind: 'error', text: `Your answer “${outcomeText(outcome)}” was NOT saved: ${message(err)}` });
          if (currentRef.current) prefetch();
        });
    },
    [advance, prefetch],
  );

  const escalate = useCallback(async () => {
    const cur = currentRef.current;
    if (!cur || cur.lost) return;
    const { task } = cur.claim;
    void advance();
    try {
      await post(`/v1/tasks/${task.id}/escalate`, { assignment: task.assignment, reason: 'escalated from the workspace' });
      setLast({ text: 'Escalated to a lead.' });
    } catch (err) {
      setNotice({ kind: 'error', text: `The escalation was NOT saved: ${message(err)}` });
    }
  }, [advance]);

  const skip = useCallback(async () => {
    const cur = currentRef.current;
    if (!cur) return;
    void advance();
    if (!cur.lost) await release(cur.claim);
    setLast({ text: 'Skipped: the task went back to its queue.' });
  }, [advance]);

  const reveal = useCallback(async () => {
    const cur = currentRef.current;
    if (!cur || !lead) return;
    try {
      const r = await post<{ text: string | null }>(`/v1/items/${cur.claim.item.id}/reveal`, { reason: 'revealed while reviewing' });
      setRevealed({ itemId: cur.claim.item.id, text: r.text });
    } catch (err) {
      setNotice({ kind: 'error', text: `Could not reveal: ${message(err)}` });
    }
  }, [lead]);

  const choose = useCallback(
    async (workflow: string | null) => {
      setChosen(workflow);
      chosenRef.current = workflow;
      const ahead = nextRef.current;
      nextRef.current = null;
      if (prefetching.current) await prefetching.current;
      const late = nextRef.current;
      nextRef.current = null;
      await Promise.all([release(ahead), release(late)]);
      if (!currentRef.current) await advance();
    },
    [advance],
  );

  const submitPicked = useCallback(() => {
    if (!current || !wf) return;
    if (wf.answerType === 'label' && pick) submit({ type: 'label', label: pick });
    if (wf.answerType === 'approve' && (pick === 'approve' || pick === 'reject')) submit({ type: 'approve', verdict: pick });
    if (wf.answerType === 'approve' && pick === 'edit') {
      try {
        submit({ type: 'approve', verdict: 'edit', edited: JSON.parse(edited) as Record<string, unknown> });
      } catch {
        setNotice({ kind: 'error', text: 'The edited fields are not valid JSON.' });
      }
    }
    if (wf.answerType === 'text' && reply.trim()) submit({ type: 'text', text: reply });
    if (wf.answerType === 'reply' && reply.trim()) submit({ type: 'reply', text: reply });
  }, [current, wf, pick, edited, reply, submit]);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.altKey || e.metaKey) return;
      const target = e.target as HTMLElement;
      const typing = target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.tagName === 'SELECT';
      if (typing) {
        if (e.key === 'Escape') target.blur();
        else if (e.key === 'Enter' && (e.ctrlKey || target === filterRef.current)) {
          e.preventDefault();
          if (target === filterRef.current && labels.length > 0 && !pick) setPick(labels[0]!);
          else submitPicked();
        }
        return;
      }
      if (e.ctrlKey) return;
      if (e.key === '?') {
        setShowKeys((s) => !s);
        return;
      }
      if (e.key === 'Escape') {
        setShowKeys(false);
        return;
      }
      if (!current) {
        if (e.key === 'n' || e.key === 'Enter') {
          e.preventDefault();
          void advance();
        }
        return;
      }
      if (e.key === 'n' && current.lost) return void advance();
      if (e.key === 'Enter') {
        if ((target.tagName === 'BUTTON' && target.getAttribute('role') !== 'radio') || target.tagName === 'A') return;
        e.preventDefault();
        submitPicked();
        return;
      }
      if (e.key === 'e') return void escalate();
      if (e.key === 's') return void skip();
      if (e.key === 'v' && lead && current.claim.item.masked) return void reveal();
      if (!wf) return;
      if (wf.answerType === 'label') {
        if (e.key === '/') {
          e.preventDefault();
          filterRef.current?.focus();
          return;
        }
        const i = labelKeys.indexOf(e.key);
        if (i >= 0 && i < labels.length) setPick(labels[i]!);
      } else if (wf.answerType === 'approve') {
        if (e.key === 'a') setPick('approve');
        if (e.key === 'r') setPick('reject');
        if (e.key === 'd') setPick('edit');
      } else if ((wf.answerType === 'text' || wf.answerType === 'reply') && e.key === 'w') {
        e.preventDefault();
        replyRef.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [current, wf, labels, pick, lead, advance, escalate, skip, reveal, submitPicked]);

  const mine = queues.filter((q) => q.queue !== 'escalation' || lead);
  const item = current?.claim.item;
  const task = current?.claim.task;
  const prediction = item?.prediction ?? null;
  const text = revealed && item && revealed.itemId === item.id ? revealed.text : (item?.text ?? null);

  return (
    <div className="workspace">
      <aside className="queues" aria-label="Queues">
        <h2>
          Queues <span className={live ? 'dot on' : 'dot'} title={live ? 'live' : 'reconnecting'} aria-label={live ? 'live updates on' : 'live updates reconnecting'} />
        </h2>
        <ul>
          <li>
            <button type="button" className={chosen === null ? 'queue current' : 'queue'} aria-pressed={chosen === null} onClick={() => void choose(null)}>
              <span>All my queues</span>
              <span className="depth">{mine.reduce((n, q) => n + q.open, 0)}</span>
            </button>
          </li>
          {mine.map((q) => (
            <li key={`${q.workflow}/${q.queue}`}>
              <button type="button" className={chosen === q.workflow ? 'queue current' : 'queue'} aria-pressed={chosen === q.workflow} onClick={() => void choose(q.workflow)}>
                <span>
                  {q.workflow} <span className="muted">/ {q.queue}</span>
                </span>
                <span className="depth" data-testid={`depth-${q.workflow}-${q.queue}`}>{q.open}</span>
                <span className="muted small">{q.oldestDueAt ? `oldest due ${new Date(q.oldestDueAt).toLocaleTimeString()}` : ''}</span>
              </button>
            </li>
          ))}
          {mine.length === 0 && <li className="muted">No open work.</li>}
        </ul>
        {hasReplies && (
          <>
            <h2>Live conversations</h2>
            <ul className="live-conversations" aria-label="Live conversations">
              {conversations.map((c) => (
                <li key={c.id}>
                  <button type="button" className={openConversation === c.id ? 'queue current' : 'queue'} onClick={() => setOpenConversation(c.id)} data-conversation-id={c.id}>
                    <span>{c.customerId}</span>
                    <span className={`tag state-${c.state}`}>{c.state === 'waiting' ? 'waiting' : 'with a person'}</span>
                  </button>
                </li>
              ))}
              {conversations.length === 0 && <li className="muted small">No customer is waiting.</li>}
            </ul>
          </>
        )}
        <div aria-live="polite" className="urgent">
          {urgent.map((u) => (
            <p key={u.taskId} className="urgent-item">
              New {u.kind === 'escalation' ? 'escalation' : `urgent task (priority ${u.priority})`} in {u.workflow}
            </p>
          ))}
        </div>
      </aside>

      <section className="task" aria-label="Task" aria-busy={loading}>
        <div className="notices" aria-live="assertive">
          {notice && <p className={`notice ${notice.kind}`} role="alert">{notice.text}</p>}
          {current?.lost && (
            <p className="notice error" role="alert">
              You lost this task: {current.lost}. It is back in its queue and your answer would not be saved. Press <kbd>n</kbd> for the next task.
            </p>
          )}
        </div>
        {openConversation && (
          <div className="card">
            <ConversationPanel key={openConversation} id={openConversation} controls onDone={() => setOpenConversation(null)} />
          </div>
        )}
        {!current && (
          <div className="card start">
            {empty ? <p>No task is waiting in {chosen ?? 'your queues'}. New work shows up here as it arrives.</p> : <p>Ready when you are.</p>}
            <button type="button" className="primary" onClick={() => void advance()} disabled={loading}>
              {loading ? 'Claiming…' : 'Start reviewing'} <kbd>n</kbd>
            </button>
            <p className="muted small">Press <kbd>?</kbd> for the keys.</p>
          </div>
        )}
        {current && item && task && (
          <article className="card item" data-item-id={item.id} data-task-id={task.id} ref={cardRef} tabIndex={-1} aria-label="Item under review">
            <header className="task-head">
              <span className="tag">{item.workflow}</span>
              <span className="tag">{task.kind}</span>
              {task.priority > 0 && <span className="tag warn">priority {task.priority}</span>}
              <Countdown dueAt={task.dueAt} />
            </header>
            {typeof item.metadata.conversationId === 'string' && item.metadata.conversationId !== openConversation && (
              <ConversationPanel key={item.metadata.conversationId} id={item.metadata.conversationId} controls={false} />
            )}
            <div className="item-text" data-testid="item-text">
              {text === null ? <span className="muted">(no text)</span> : <Highlighted text={text} terms={prediction?.explanation ?? []} />}
            </div>
            {item.masked && (
              <p className="muted small">
                Personal data (e-mail, phone, card numbers) is masked.
                {lead && (revealed?.itemId === item.id ? ' Revealed; the reveal is in the item’s audit trail.' : <> <button type="button" className="link" onClick={() => void reveal()}>Reveal</button> <kbd>v</kbd> (recorded)</>)}
              </p>
            )}
            <div className="cols">
              <Fields title="Fields" values={item.fields} always />
              <Fields title="Customer context" values={item.metadata} always />
            </div>
            <section className="suggestion" aria-label="Machine suggestion">
              <h3>Machine suggestion</h3>
              {item.blind ? (
                <p className="muted" data-testid="blind">Hidden until you answer (blind mode).</p>
              ) : prediction && prediction.label ? (
                <p data-testid="suggestion">
                  <strong>{prediction.label}</strong> <span className="conf">{pct(prediction.confidence)}</span>
                  {prediction.explanation.length > 0 && (
                    <span className="evidence">
                      {' '}because of{' '}
                      {prediction.explanation.slice(0, 6).map((t) => (
                        <mark key={t}>{t}</mark>
                      ))}
                    </span>
                  )}
                </p>
              ) : (
                <p className="muted">{prediction?.error ?? 'No suggestion.'}</p>
              )}
              <ul className="reasons" aria-label="Why this is here">
                {item.route.reasons.map((r, i) => (
                  <li key={i}>{reasonText(r)}</li>
                ))}
                {task.reason && <li>{task.reason}</li>}
              </ul>
            </section>
            <section className="answer" aria-label="Your answer">
              {wf?.answerType === 'label' && (
                <>
                  <label className="filter">
                    <span className="sr-only">Filter labels</span>
                    <input ref={filterRef} placeholder="Filter labels ( / )" value={filter} onChange={(e) => setFilter(e.target.value)} />
                  </label>
                  <div className="labels" role="radiogroup" aria-label="Label">
                    {labels.map((l, i) => (
                      <button
                        key={l}
                        type="button"
                        role="radio"
                        aria-checked={pick === l}
                        className={pick === l ? 'label picked' : 'label'}
                        onClick={() => setPick(l)}
                      >
                        {i < labelKeys.length && <kbd>{labelKeys[i]}</kbd>} {l}
                      </button>
                    ))}
                  </div>
                </>
              )}
              {wf?.answerType === 'approve' && (
                <div className="labels" role="radiogroup" aria-label="Verdict">
                  {(['approve', 'reject', 'edit'] as const).map((v) => (
                    <button key={v} type="button" role="radio" aria-checked={pick === v} className={pick === v ? 'label picked' : 'label'} onClick={() => setPick(v)}>
                      <kbd>{v === 'approve' ? 'a' : v === 'reject' ? 'r' : 'd'}</kbd> {v}
                    </button>
                  ))}
                  {pick === 'edit' && (
                    <label className="block">
                      Edited fields (JSON)
                      <textarea rows={6} value={edited} onChange={(e) => setEdited(e.target.value)} />
                    </label>
                  )}
                </div>
              )}
              {wf?.answerType === 'text' && (
                <label className="block">
                  Reply <span className="muted small">(<kbd>w</kbd> to write, <kbd>Ctrl</kbd>+<kbd>Enter</kbd> to send)</span>
                  <textarea ref={replyRef} rows={6} value={reply} onChange={(e) => setReply(e.target.value)} />
                </label>
              )}
              {wf?.answerType === 'reply' && (
                <label className="block">
                  Reply to the customer{' '}
                  <span className="muted small" data-testid="draft-note">
                    {prediction?.draft ? `(the machine's draft, ${pct(prediction.draft.confidence)} sure: send it, edit it or rewrite it)` : '(no draft: write the reply)'} <kbd>Ctrl</kbd>+<kbd>Enter</kbd> to send
                  </span>
                  <textarea ref={replyRef} rows={6} value={reply} onChange={(e) => setReply(e.target.value)} aria-label="Reply to the customer" />
                </label>
              )}
              <div className="actions">
                <button type="button" className="primary" onClick={submitPicked} disabled={!!current.lost}>
                  Submit <kbd>Enter</kbd>
                </button>
                <button type="button" onClick={() => void escalate()} disabled={!!current.lost || task.kind === 'escalation'}>
                  Escalate <kbd>e</kbd>
                </button>
                <button type="button" onClick={() => void skip()}>
                  Skip <kbd>s</kbd>
                </button>
                <button type="button" className="link" onClick={() => setShowKeys(true)}>
                  Keys <kbd>?</kbd>
                </button>
              </div>
            </section>
          </article>
        )}
        <p className="last muted" aria-live="polite">
          {last?.text ?? '\u00a0'}
          {last?.answer !== undefined && (
            <span className="blind-reveal" data-testid="blind-reveal">
              {' '}You answered <strong>{last.answer}</strong>; the machine suggested{' '}
              {last.suggestion?.label ? <><strong>{last.suggestion.label}</strong> ({pct(last.suggestion.confidence)})</> : 'nothing'}.
            </span>
          )}
        </p>
      </section>

      {showKeys && <KeysDialog onClose={() => setShowKeys(false)} lead={lead} />}
    </div>
  );
}

function KeysDialog({ onClose, lead }: { onClose: () => void; lead: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  const rows: Array<[string, string]> = [
    ['1 … 9, 0, b c f …', 'pick a label (in order of the machine’s belief)'],
    ['/', 'filter the labels; Enter picks the first'],
    ['a / r / d', 'approve / reject / edit (approval workflows)'],
    ['w', 'write the reply (text workflows); Ctrl+Enter sends'],
    ['Enter', 'submit the answer; the next task shows at once'],
    ['e', 'escalate to a lead'],
    ['s', 'skip: give the task back to its queue'],
    ['n', 'next task (when none is shown)'],
    ...(lead ? ([['v', 'reveal masked personal data (recorded)']] as Array<[string, string]>) : []),
    ['?', 'show or hide these keys'],
  ];
  return (
    <dialog ref={ref} className="keys" onClose={onClose} aria-labelledby="keys-title">
      <h2 id="keys-title">Keys</h2>
      <table>
        <tbody>
          {rows.map(([k, v]) => (
            <tr key={k}>
              <th scope="row"><kbd>{k}</kbd></th>
              <td>{v}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <button type="button" className="primary" onClick={onClose} autoFocus>Close</button>
    </dialog>
  );
}

