/**
 * Cell ids of an older notebook (nbformat < 4.5, no ids in the file).
 *
 * JupyterLab keeps such a notebook at 4.4: its cells get random ids in memory,
 * new at every opening, and none is saved. The server gives the same file's
 * cells deterministic ids instead (`<8 hex of SHA-256 of the path>-<index>`,
 * `notebook_dag.notebooks.ensure_cell_ids`) so that a block keeps its id,
 * positions and run results. Before the first send, the open notebook adopts
 * the server's ids and becomes 4.5 in memory (not dirty): the DAG and the
 * editor speak of the same cells, and the user's next save makes the ids
 * permanent.
 */

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1,
  0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147,
  0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
  0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2
]);

function utf8(text: string): Uint8Array {
  if (typeof TextEncoder !== 'undefined') {
    return new TextEncoder().encode(text);
  }
  const binary = unescape(encodeURIComponent(text));
  return Uint8Array.from(binary, c => c.charCodeAt(0));
}

/**
 * SHA-256 of a string's UTF-8 bytes, in hex (synchronous: `crypto.subtle`
 * is asynchronous and missing outside secure contexts).
 */
export function sha256Hex(text: string): string {
  const data = utf8(text);
  const length = ((data.length + 9 + 63) >> 6) << 6;
  const bytes = new Uint8Array(length);
  bytes.set(data);
  bytes[data.length] = 0x80;
  const view = new DataView(bytes.buffer);
  view.setUint32(length - 8, Math.floor((data.length * 8) / 2 ** 32));
  view.setUint32(length - 4, (data.length * 8) >>> 0);
  const h = new Uint32Array([
    0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c,
    0x1f83d9ab, 0x5be0cd19
  ]);
  const w = new Uint32Array(64);
  const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));
  for (let offset = 0; offset < length; offset += 64) {
    for (let i = 0; i < 16; i++) {
      w[i] = view.getUint32(offset + i * 4);
    }
    for (let i = 16; i < 64; i++) {
      const s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >>> 3);
      const s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) >>> 0;
    }
    let [a, b, c, d, e, f, g, hh] = h;
    for (let i = 0; i < 64; i++) {
      const s1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (hh + s1 + ch + K[i] + w[i]) >>> 0;
      const s0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (s0 + maj) >>> 0;
      hh = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    const add = [a, b, c, d, e, f, g, hh];
    for (let i = 0; i < 8; i++) {
      h[i] = (h[i] + add[i]) >>> 0;
    }
  }
  return Array.from(h, x => x.toString(16).padStart(8, '0')).join('');
}

/**
 * The ids the server gives the cells of a notebook file without ids:
 * `<prefix>-<index>`, with `-2`, `-3`... should one repeat.
 */
export function fileCellIds(path: string, count: number): string[] {
  const prefix = sha256Hex(path).slice(0, 8);
  const seen = new Set<string>();
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    let id = `${prefix}-${index}`;
    for (let n = 2; seen.has(id); n++) {
      id = `${prefix}-${index}-${n}`;
    }
    seen.add(id);
    ids.push(id);
  }
  return ids;
}

/**
 * The part of a shared notebook this needs (`YNotebook`).
 */
export interface IVersionedNotebook {
  nbformat: number;
  nbformat_minor: number;
  readonly cells: readonly {
    readonly ymodel: { set(key: 'id', id: string): void };
  }[];
  transact(f: () => void, undoable?: boolean): void;
}

/**
 * Give an older notebook's cells the ids the server reads in its file, and
 * make it 4.5 so that they are saved (nothing is marked dirty).
 *
 * @returns whether the notebook was older than 4.5
 */
export function adoptFileCellIds(
  notebook: IVersionedNotebook,
  path: string
): boolean {
  if (notebook.nbformat !== 4 || !(notebook.nbformat_minor < 5)) {
    return false;
  }
  const ids = fileCellIds(path, notebook.cells.length);
  notebook.transact(() => {
    notebook.cells.forEach((cell, i) => cell.ymodel.set('id', ids[i]));
    notebook.nbformat_minor = 5;
  }, false);
  return true;
}
