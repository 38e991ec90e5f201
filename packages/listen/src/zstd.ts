import kafkajs from 'kafkajs';
import { decompress } from 'fzstd';

const { CompressionCodecs, CompressionTypes } = kafkajs;

/**
 * kafkajs reads only gzip itself; GCN producers compress with zstd, and without a codec a
 * 1 MB LVK alert cannot be read at all. fzstd is pure JS (no native build here) and only
 * decompresses, which is all a consumer needs.
 */
export function registerZstdCodec(): void {
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async () => {
      throw new Error('llama listen only consumes: zstd compression is not available');
    },
    decompress: async (buffer: Buffer) => Buffer.from(decompress(new Uint8Array(buffer))),
  });
}
