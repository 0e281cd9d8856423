import { readSseEvents, readText, SseParser } from '../../client/sse';

const STREAM =
  'event: delta\ndata: {"text":"Hel"}\n\nevent: delta\ndata: {"text":"lo"}\n\n: a comment\nevent: done\ndata: {"stopReason":"end_turn"}\n\n';
const EVENTS = [
  { event: 'delta', data: '{"text":"Hel"}' },
  { event: 'delta', data: '{"text":"lo"}' },
  { event: 'done', data: '{"stopReason":"end_turn"}' },
];

function parseInPieces(text: string, size: number): ReturnType<SseParser['push']> {
  const parser = new SseParser();
  const out = [];
  for (let i = 0; i < text.length; i += size) out.push(...parser.push(text.slice(i, i + size)));
  return out;
}

/** A fetch-like body delivering `chunks` as they are, and whether it was cancelled. */
function body(chunks: Uint8Array[]): { stream: ReadableStream<Uint8Array>; state: { cancelled: boolean } } {
  let i = 0;
  const state = { cancelled: false };
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i < chunks.length) controller.enqueue(chunks[i++]!);
      else controller.close();
    },
    cancel() {
      state.cancelled = true;
    },
  });
  return { stream, state };
}

test.each([1, 2, 3, 7, 1000])('the same events whatever the chunk size (%i characters)', (size) => {
  expect(parseInPieces(STREAM, size)).toEqual(EVENTS);
});

test.each([
  ['CRLF', '\r\n'],
  ['CR', '\r'],
])('%s line endings, also split between two chunks', (_name, eol) => {
  const text = STREAM.replace(/\n/g, eol);
  expect(parseInPieces(text, 1)).toEqual(EVENTS);
  expect(parseInPieces(text, 5)).toEqual(EVENTS);
});

test('multi-line data joined with LF; no space after the colon; a BOM; an event without a name is "message"', () => {
  const parser = new SseParser();
  expect(parser.push('\uFEFFdata:a\ndata: b\n\n')).toEqual([{ event: 'message', data: 'a\nb' }]);
});

test('an event without data is not dispatched; an unterminated last event is dropped', () => {
  const parser = new SseParser();
  expect(parser.push('event: ping\n\nevent: delta\ndata: {"text":"x"}')).toEqual([]);
});

test('a line over the buffer limit fails instead of growing without bound', () => {
  const parser = new SseParser();
  expect(() => parser.push(`data: ${'x'.repeat(1024 * 1024 + 1)}`)).toThrow(/exceeded/);
});

test('readText joins UTF-8 characters split across network chunks', async () => {
  const bytes = new TextEncoder().encode('Grüße 👋');
  const pieces = Array.from(bytes, (byte) => new Uint8Array([byte]));
  let text = '';
  for await (const piece of readText(body(pieces).stream)) text += piece;
  expect(text).toBe('Grüße 👋');
});

test('readSseEvents reads events off a body; stopping early cancels the body', async () => {
  const encoder = new TextEncoder();
  const { stream, state } = body([
    encoder.encode(STREAM.slice(0, 40)),
    encoder.encode(STREAM.slice(40)),
    encoder.encode('event: delta\ndata: {"text":"more"}\n\n'),
  ]);
  const seen = [];
  for await (const event of readSseEvents(stream)) {
    seen.push(event);
    if (event.event === 'done') break;
  }
  expect(seen).toEqual(EVENTS);
  expect(state.cancelled).toBe(true);
});
