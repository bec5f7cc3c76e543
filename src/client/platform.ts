import {
  bytesSource,
  type OpenedSource,
  openSource,
  type SizedSource,
  type StreamSource,
  sourceKindError,
} from "./body/source.js";
import { type Destination, universalDestination } from "./download/destination.js";

/**
 * What differs between platforms: the kinds of sources and destinations, and
 * where a stream of unknown length is spooled. The universal entry knows
 * Blobs, bytes and Web streams; the Node entry adds paths and Node streams.
 * @private
 */
export interface Platform {
  openSource(source: unknown): Promise<OpenedSource>;
  /** A stream of unknown length made sized (S3 needs Content-Length for one PUT or a form). */
  spool(source: StreamSource): Promise<SizedSource & { cleanup(): Promise<void> }>;
  openDestination(destination: unknown): Promise<Destination>;
}

/** The platform of the universal entry: memory spooling, Blob/WritableStream/File System Access destinations. */
export const universalPlatform: Platform = {
  async openSource(source) {
    const opened = openSource(source);
    if (!opened) throw sourceKindError();
    return opened;
  },
  async spool(source) {
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (let next = await source.chunks.next(); !next.done; next = await source.chunks.next()) {
      chunks.push(next.value);
      size += next.value.byteLength;
    }
    const bytes = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    return { ...bytesSource(bytes, source.filename, source.type), cleanup: async () => {} };
  },
  openDestination: async (destination) => universalDestination(destination),
};
