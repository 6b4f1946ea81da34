import type { serverTimeline } from '../compute/instance-actions.js';

type Timeline = Awaited<ReturnType<typeof serverTimeline>>;

/** GET /stratus/v1/servers/{id}/timeline: the server's steps, oldest first, with their durations. */
export function renderTimeline(t: Timeline) {
  return {
    timeline: {
      server_id: t.server.id,
      steps: t.steps.map((s) => ({
        request_id: s.request_id,
        action: s.action,
        step: s.step,
        // Nova's instance-action events show their host only to whom the events policy allows (2.62).
        ...(t.showHost ? { host: s.host } : {}),
        start: s.started_at,
        finish: s.finished_at,
        duration_ms: s.finished_at === null ? null : Math.max(0, Date.parse(s.finished_at) - Date.parse(s.started_at)),
        result: s.result,
        message: s.message,
      })),
    },
  };
}
