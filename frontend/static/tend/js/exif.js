// When a photo was taken, from the JPEG's own EXIF: DateTimeOriginal ("2026:11:30 18:02:05", the
// camera's local time) and OffsetTimeOriginal ("-07:00") when the phone wrote it. Read here, on the
// phone, before the photo is re-encoded (the re-encoded JPEG carries no metadata at all, so the
// server never sees the camera's time, nor the GPS position beside it).

const READ_BYTES = 256 * 1024; // the APP1 segment comes first and is at most 64 KB
const EXIF_IFD = 0x8769;
const DATE_TIME_ORIGINAL = 0x9003;
const OFFSET_TIME_ORIGINAL = 0x9011;

function ascii(view, tiff, entry, little) {
  const count = view.getUint32(entry + 4, little);
  const start = count <= 4 ? entry + 8 : tiff + view.getUint32(entry + 8, little);
  if (start + count > view.byteLength) return null;
  let text = "";
  for (let i = 0; i < count; i += 1) {
    const code = view.getUint8(start + i);
    if (code === 0) break;
    text += String.fromCharCode(code);
  }
  return text.trim();
}

function entries(view, tiff, offset, little) {
  const found = new Map();
  const at = tiff + offset;
  if (at + 2 > view.byteLength) return found;
  const count = view.getUint16(at, little);
  for (let i = 0; i < count; i += 1) {
    const entry = at + 2 + i * 12;
    if (entry + 12 > view.byteLength) break;
    found.set(view.getUint16(entry, little), entry);
  }
  return found;
}

// {dateTime: "2026-11-30T18:02:05", offset: "-07:00" | null}, or null when the bytes hold no
// usable capture time (not a JPEG, no EXIF, a zeroed or malformed date).
export function captureTime(buffer) {
  const view = new DataView(buffer);
  if (view.byteLength < 4 || view.getUint16(0) !== 0xffd8) return null;
  let position = 2;
  while (position + 4 <= view.byteLength) {
    const marker = view.getUint16(position);
    if ((marker & 0xff00) !== 0xff00 || marker === 0xffda) return null; // image data: no EXIF before it
    const length = view.getUint16(position + 2);
    const isExif = marker === 0xffe1 && position + 10 <= view.byteLength
      && view.getUint32(position + 4) === 0x45786966 && view.getUint16(position + 8) === 0; // "Exif\0\0"
    if (isExif) {
      try {
        return fromTiff(view, position + 10);
      } catch {
        return null; // a truncated or malformed block: as if there were none
      }
    }
    position += 2 + length;
  }
  return null;
}

function fromTiff(view, tiff) {
  const order = view.getUint16(tiff);
  if (order !== 0x4949 && order !== 0x4d4d) return null;
  const little = order === 0x4949;
  if (view.getUint16(tiff + 2, little) !== 42) return null;
  const ifd0 = entries(view, tiff, view.getUint32(tiff + 4, little), little);
  if (!ifd0.has(EXIF_IFD)) return null;
  const exif = entries(view, tiff, view.getUint32(ifd0.get(EXIF_IFD) + 8, little), little);
  if (!exif.has(DATE_TIME_ORIGINAL)) return null;
  const raw = ascii(view, tiff, exif.get(DATE_TIME_ORIGINAL), little);
  const match = raw && raw.match(/^(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})/);
  if (!match || match[1] === "0000") return null;
  const [, year, month, day, hour, minute, second] = match;
  if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31
      || Number(hour) > 23 || Number(minute) > 59 || Number(second) > 59) return null;
  const offsetText = exif.has(OFFSET_TIME_ORIGINAL) ? ascii(view, tiff, exif.get(OFFSET_TIME_ORIGINAL), little) : null;
  const offset = offsetText && /^[+-]\d{2}:\d{2}$/.test(offsetText) ? offsetText : null;
  return { dateTime: `${year}-${month}-${day}T${hour}:${minute}:${second}`, offset };
}

export async function readCaptureTime(file) {
  try {
    return captureTime(await file.slice(0, READ_BYTES).arrayBuffer());
  } catch {
    return null;
  }
}
