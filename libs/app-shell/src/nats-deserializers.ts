import type { ConsumerDeserializer, IncomingEvent, IncomingRequest, IncomingResponse, ProducerDeserializer } from '@nestjs/microservices';

/**
 * What a Nest handler receives instead of data when the message on its subject was not JSON at all. Nest's own NATS
 * deserializers throw there, inside an async subscription callback: an unhandled rejection, and the process dies on
 * one message anybody with publish rights can send. Handlers refuse it like any other bad payload (with a log line).
 */
export class MalformedMessage {
  constructor(readonly reason: string) {}
}

const decoder = new TextDecoder('utf-8', { fatal: true });
const parse = (value: unknown): { ok: true; v: unknown } | { ok: false; reason: string } => {
  try {
    const text = value instanceof Uint8Array ? decoder.decode(value) : String(value);
    return { ok: true, v: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'not UTF-8 JSON' };
  }
};

/** Server side (`@MessagePattern` / `@EventPattern` handlers): never throws; bad bytes reach the handler as MalformedMessage. */
export class SafeNatsRequestDeserializer implements ConsumerDeserializer {
  deserialize(value: unknown, options?: { channel?: string }): IncomingRequest | IncomingEvent {
    const p = parse(value);
    if (!p.ok) return { pattern: options?.channel, data: new MalformedMessage(p.reason) };
    const v = p.v as { pattern?: unknown; data?: unknown; id?: unknown } | null;
    // Nest's own envelope ({ pattern, data, id }: a request with a reply); anything else is an event's data on the channel.
    if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v.pattern !== undefined || v.data !== undefined)) {
      return { pattern: options?.channel, data: v.data, ...(typeof v.id === 'string' ? { id: v.id } : {}) } as IncomingRequest;
    }
    return { pattern: options?.channel, data: v };
  }
}

/** Client side (replies to the api's requests): a reply that is not JSON ends that request with an error, nothing else. */
export class SafeNatsResponseDeserializer implements ProducerDeserializer {
  deserialize(value: unknown): IncomingResponse {
    const p = parse(value);
    if (!p.ok || p.v === null || typeof p.v !== 'object') return { id: undefined as unknown as string, err: `malformed reply (${p.ok ? 'not an object' : p.reason})`, isDisposed: true };
    return p.v as IncomingResponse;
  }
}
