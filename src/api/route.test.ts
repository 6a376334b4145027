import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import v8 from 'node:v8';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Engine } from '../engine/engine.ts';
import type { Principal } from '../engine/principals.ts';
import { RequestContext } from './route.ts';

/** A response as far as the context looks at it: it closes, finished or not. */
class Raw extends EventEmitter {
  writableFinished = false;
}

const principal: Principal = { kind: 'key', id: 'k', name: 'test', role: 'admin', workflows: null };
const contextOn = (raw: Raw) =>
  new RequestContext({ text: 'hi' }, {}, { id: '1' }, principal, 'tok', {} as Engine, {} as FastifyRequest, { raw } as unknown as Pick<FastifyReply, 'raw'>);

test('the signal is aborted when the client goes away before the response is written', () => {
  const raw = new Raw();
  const ctx = contextOn(raw);
  const signal = ctx.signal;
  assert.equal(ctx.signal, signal, 'one signal per request');
  assert.equal(signal.aborted, false);
  raw.emit('close');
  assert.equal(signal.aborted, true);
});

test('the signal is not aborted when the response closes after it was written', () => {
  const raw = new Raw();
  const signal = contextOn(raw).signal;
  raw.writableFinished = true;
  raw.emit('close');
  assert.equal(signal.aborted, false);
});

test('a context listens to its response only once its signal is asked for', () => {
  const raw = new Raw();
  const ctx = contextOn(raw);
  assert.equal(raw.listenerCount('close'), 0);
  void ctx.signal;
  void ctx.signal;
  assert.equal(raw.listenerCount('close'), 1);
});

test('handlers get their values by destructuring, the signal included', () => {
  const raw = new Raw();
  const { body, params, token, principal: p, signal } = contextOn(raw);
  assert.deepEqual(body, { text: 'hi' });
  assert.deepEqual(params, { id: '1' });
  assert.equal(token, 'tok');
  assert.equal(p, principal);
  assert.ok(signal instanceof AbortSignal);
});

// Every request makes one. An object literal with a getter is kept by V8 in dictionary mode, and
// with it bench scale promoted 13–31 MB/s of request objects to the old generation (bench/README.md).
test('request contexts keep fast properties and share one shape', () => {
  v8.setFlagsFromString('--allow-natives-syntax');
  const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean;
  const haveSameMap = new Function('a', 'b', 'return %HaveSameMap(a, b)') as (a: object, b: object) => boolean;
  const a = contextOn(new Raw());
  const b = contextOn(new Raw());
  void b.signal;
  assert.equal(hasFastProperties(a), true);
  assert.equal(haveSameMap(a, b), true);
  // The check itself can fail: the shape the contexts had before.
  let made: object | null = null;
  const literal = { body: {}, get signal() { return (made ??= {}); } };
  assert.equal(hasFastProperties(literal), false);
});
