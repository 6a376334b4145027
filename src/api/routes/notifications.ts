// Chat notification targets: a Slack incoming webhook (or a generic JSON URL) told about urgent
// tasks, SLA breaches and reviewer demotions of a workflow (or, for admins, of every workflow).
import { z } from 'zod';
import { notificationFormats } from '../../core/notifications.ts';
import { createTarget, managedTarget, removeTarget, visibleTargets } from '../../engine/notifications.ts';
import type { TargetRow } from '../../store/notifications.ts';
import { defineRoute } from '../route.ts';

function targetView(t: TargetRow) {
  return {
    id: t.id, format: t.format, url: t.url, workflow: t.workflow, description: t.description,
    windowSeconds: t.window_seconds, perMinute: t.per_minute, createdBy: t.created_by, createdAt: t.created_at.toISOString(),
  };
}

const targetOut = z.looseObject({
  id: z.string(), format: z.enum(notificationFormats), url: z.string(), workflow: z.string().nullable(), windowSeconds: z.number().int(), perMinute: z.number().int(),
});
const idParam = z.object({ id: z.uuid('must be a notification target id (a UUID)') });

export const notificationRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/notification-targets',
    tag: 'notifications',
    summary: 'Add a chat notification target',
    description:
      'Posts a message when an urgent task waits (an escalation, or a task with raised priority), a task breaches its SLA (task.overdue), a reviewer is demoted, or a surge policy changes step while its `notify` step is in effect (surge.changed). ' +
      '`format: slack` sends a Slack incoming-webhook message ({text, blocks}); `json` sends {events: [...]}. Events within `windowSeconds` (default 10) go out as one message; ' +
      'at most `perMinute` (default 6) messages a minute. Admins may notify about every workflow (no `workflow`); leads about a workflow they lead.',
    body: z
      .object({
        format: z.enum(notificationFormats),
        url: z.string().min(1).max(2000),
        workflow: z.string().min(1).max(63).nullable().optional(),
        description: z.string().max(500).optional(),
        windowSeconds: z.number().int().min(0).max(3600).optional(),
        perMinute: z.number().int().min(1).max(600).optional(),
      })
      .strict(),
    responses: { 201: { description: 'The target', schema: targetOut } },
    async handle({ engine, principal, body }) {
      return { status: 201, body: targetView(await createTarget(engine, principal, body)) };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/notification-targets',
    tag: 'notifications',
    summary: 'List notification targets',
    description: 'The targets the caller manages, newest first.',
    responses: { 200: { description: 'Targets', schema: z.object({ targets: z.array(targetOut) }) } },
    async handle({ engine, principal }) {
      return { status: 200, body: { targets: (await visibleTargets(engine, principal)).map(targetView) } };
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/notification-targets/{id}',
    tag: 'notifications',
    summary: 'Get a notification target',
    params: idParam,
    responses: { 200: { description: 'The target', schema: targetOut } },
    async handle({ engine, principal, params }) {
      return { status: 200, body: targetView(await managedTarget(engine, principal, params.id)) };
    },
  }),
  defineRoute({
    method: 'DELETE',
    path: '/v1/notification-targets/{id}',
    tag: 'notifications',
    summary: 'Delete a notification target',
    description: 'Stops its messages and drops its queue.',
    params: idParam,
    responses: { 204: { description: 'Deleted' } },
    async handle({ engine, principal, params }) {
      await removeTarget(engine, principal, params.id);
      return { status: 204 };
    },
  }),
];
