//! Transparent decompression of message files compressed by Dovecot's zlib plugin (gzip or zstd),
//! recognised by their magic bytes.

use std::io::{self, Read};

const GZIP_MAGIC: &[u8] = &[0x1f, 0x8b];
const ZSTD_MAGIC: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];

/// The message bytes of a file's contents: decompressed when compressed, as is otherwise.
pub(crate) fn decompress(raw: Vec<u8>) -> io::Result<Vec<u8>> {
    let invalid =
        |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidData, e.to_string());
    let mut out = Vec::with_capacity(raw.len() * 3);
    if raw.starts_with(GZIP_MAGIC) {
        flate2::read::MultiGzDecoder::new(&raw[..]).read_to_end(&mut out)?;
    } else if raw.starts_with(ZSTD_MAGIC) {
        ruzstd::decoding::StreamingDecoder::new(&raw[..])
            .map_err(|e| invalid(&e))?
            .read_to_end(&mut out)?;
    } else {
        return Ok(raw);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_and_plain() {
        let msg = b"Subject: x\r\n\r\nbody\r\n".repeat(50);
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        gz.write_all(&msg).unwrap();
        let gz = gz.finish().unwrap();
        assert!(gz.starts_with(GZIP_MAGIC));
        assert_eq!(decompress(gz).unwrap(), msg);
        assert_eq!(decompress(msg.clone()).unwrap(), msg);
        assert!(decompress(vec![0x1f, 0x8b, 0, 0]).is_err());
    }

    #[test]
    fn zstd() {
        let msg = b"Subject: y\r\n\r\nzstd body\r\n".repeat(50);
        let z = ruzstd::encoding::compress_to_vec(
            &msg[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(z.starts_with(ZSTD_MAGIC));
        assert_eq!(decompress(z).unwrap(), msg);
    }
}
