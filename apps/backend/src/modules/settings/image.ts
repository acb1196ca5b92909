// What an uploaded logo really is, from its bytes: the declared Content-Type and any file name are ignored.
// PNG and JPEG only; SVG is refused by name because it can carry scripts and external references.
export type ImageType = 'image/png' | 'image/jpeg';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function sniffImage(bytes: Buffer): ImageType | 'svg' | null {
  // A PNG starts with its signature and then the IHDR chunk.
  if (bytes.length > 24 && bytes.subarray(0, 8).equals(PNG) && bytes.toString('latin1', 12, 16) === 'IHDR')
    return 'image/png';
  // A JPEG starts with SOI and a marker.
  if (bytes.length > 4 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'image/jpeg';
  const head = bytes
    .toString('utf8', 0, 1024)
    .replace(/^\uFEFF/, '')
    .trimStart()
    .toLowerCase();
  if (head.startsWith('<svg') || (head.startsWith('<') && head.includes('<svg'))) return 'svg';
  return null;
}
