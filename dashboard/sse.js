// A text/event-stream parser (the WHATWG rules that matter here), fed chunk by chunk.

/** Parses a text/event-stream body into {event, data, id} frames and `retry` hints. */
export function createParser(onFrame, onRetry) {
  let buffer = '';
  let event = '';
  let data = [];
  let id = null;
  const line = (l) => {
    if (l === '') {
      if (data.length > 0 || event) onFrame({ event: event || 'message', data: data.join('\n'), id });
      event = '';
      data = [];
      id = null;
      return;
    }
    if (l.startsWith(':')) return; // comment: the heartbeat
    const colon = l.indexOf(':');
    const field = colon === -1 ? l : l.slice(0, colon);
    let value = colon === -1 ? '' : l.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') event = value;
    else if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) onRetry(Number(value));
  };
  return (chunk) => {
    buffer += chunk;
    // A trailing \r may be the first half of a \r\n split across chunks: wait for the next one.
    const hold = buffer.endsWith('\r') ? '\r' : '';
    const parts = (hold ? buffer.slice(0, -1) : buffer).split(/\r\n|\r|\n/);
    buffer = (parts.pop() ?? '') + hold;
    for (const p of parts) line(p);
  };
}
