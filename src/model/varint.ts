/** Growable byte writer for the model file body: unsigned LEB128 varints and raw bytes. */
export class ByteWriter {
  private buffer: Uint8Array = new Uint8Array(1 << 16);
  length = 0;

  private reserve(extra: number): void {
    if (this.length + extra <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.length + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.buffer.subarray(0, this.length));
    this.buffer = grown;
  }

  varint(value: number): void {
    if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`varint: ${value} is not a non-negative safe integer.`);
    }
    this.reserve(8);
    let v = value;
    while (v >= 0x80) {
      this.buffer[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buffer[this.length++] = v;
  }

  bytes(data: Uint8Array): void {
    this.reserve(data.length);
    this.buffer.set(data, this.length);
    this.length += data.length;
  }

  result(): Uint8Array {
    return this.buffer.subarray(0, this.length);
  }
}

/** Reads what ByteWriter wrote; every read checks bounds so a short body fails loudly. */
export class ByteReader {
  offset = 0;
  constructor(private readonly data: Uint8Array) {}

  varint(): number {
    let value = 0;
    let multiplier = 1;
    for (;;) {
      if (this.offset >= this.data.length) throw new RangeError('unexpected end of data in a varint');
      const byte = this.data[this.offset++];
      value += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return value;
      multiplier *= 0x80;
      if (multiplier > 2 ** 56) throw new RangeError('varint too long');
    }
  }

  /** `count` little-endian float64 values, copied out (the source need not be aligned). */
  float64s(count: number): Float64Array {
    const bytes = this.bytes(count * 8);
    // Copy into a fresh, aligned buffer (a Node Buffer's slice() is a view, not a copy).
    const out = new Float64Array(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }

  bytes(length: number): Uint8Array {
    if (this.offset + length > this.data.length) throw new RangeError('unexpected end of data');
    const out = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  get remaining(): number {
    return this.data.length - this.offset;
  }
}
