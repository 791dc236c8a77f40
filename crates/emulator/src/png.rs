//! A tiny PNG encoder: RGB, 8 bits, zlib with stored (uncompressed) blocks.

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let start = out.len();
    out.extend_from_slice(kind);
    out.extend_from_slice(data);
    let crc = crc32fast::hash(&out[start..]);
    out.extend_from_slice(&crc.to_be_bytes());
}

fn adler32(data: &[u8]) -> u32 {
    let (mut a, mut b) = (1u32, 0u32);
    for byte in data {
        a = (a + u32::from(*byte)) % 65_521;
        b = (b + a) % 65_521;
    }
    (b << 16) | a
}

/// zlib stream of stored deflate blocks (at most 65535 bytes each).
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(65_535).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xFF, 0xFF]);
    }
    while let Some(block) = blocks.next() {
        out.push(u8::from(blocks.peek().is_none()));
        let len = block.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(block);
    }
    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// Encodes `width`×`height` RGB pixels produced by `pixel(x, y)`.
pub fn encode(width: u32, height: u32, pixel: impl Fn(u32, u32) -> [u8; 3]) -> Vec<u8> {
    let mut raw = Vec::with_capacity(((width * 3 + 1) * height) as usize);
    for y in 0..height {
        raw.push(0);
        for x in 0..width {
            raw.extend_from_slice(&pixel(x, y));
        }
    }
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&width.to_be_bytes());
    header.extend_from_slice(&height.to_be_bytes());
    header.extend_from_slice(&[8, 2, 0, 0, 0]);
    let mut out = SIGNATURE.to_vec();
    chunk(&mut out, b"IHDR", &header);
    chunk(&mut out, b"IDAT", &zlib_stored(&raw));
    chunk(&mut out, b"IEND", &[]);
    out
}

/// A deterministic gradient picture seeded by `seed`.
pub fn picture(seed: u64, size: u32) -> Vec<u8> {
    let [r, g, b, ..] = seed.to_le_bytes();
    encode(size, size, |x, y| {
        let fx = (x * 255 / size.max(1)) as u8;
        let fy = (y * 255 / size.max(1)) as u8;
        [r ^ fx, g ^ fy, b.wrapping_add(fx / 2).wrapping_add(fy / 2)]
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Walks the chunks, checking every CRC; returns the chunk types.
    fn chunks(png: &[u8]) -> Vec<String> {
        assert_eq!(&png[..8], SIGNATURE);
        let (mut at, mut kinds) = (8, Vec::new());
        while at < png.len() {
            let len = u32::from_be_bytes(png[at..at + 4].try_into().unwrap()) as usize;
            let body = &png[at + 4..at + 8 + len];
            let crc = u32::from_be_bytes(png[at + 8 + len..at + 12 + len].try_into().unwrap());
            assert_eq!(crc32fast::hash(body), crc);
            kinds.push(String::from_utf8(body[..4].to_vec()).unwrap());
            at += 12 + len;
        }
        kinds
    }

    #[test]
    fn png_is_well_formed() {
        let png = picture(42, 16);
        assert_eq!(chunks(&png), ["IHDR", "IDAT", "IEND"]);
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 16);
        assert_eq!(picture(42, 16), png);
        assert_ne!(picture(43, 16), png);
    }

    #[test]
    fn zlib_stream_has_valid_adler() {
        let data = vec![7u8; 70_000];
        let z = zlib_stored(&data);
        assert_eq!(&z[z.len() - 4..], adler32(&data).to_be_bytes());
        assert_eq!(z.len(), 2 + 5 * 2 + 70_000 + 4);
    }
}
