//! The 16-bit XOR checksum the module prints after `+QFUPL:` and `+QFDWL:`.
//!
//! The data is read as big-endian 16-bit words, which are XORed together. An odd last byte is
//! the high byte of a final word whose low byte is zero. The module prints the result in
//! lowercase hex without leading zeros (`format!("{:x}", sum)`).
//!
//! [`XorChecksum`] computes the same value incrementally, for data that arrives in pieces of any
//! size: a byte left over at the end of one piece pairs with the first byte of the next.

/// The checksum of `data` in one call.
pub fn xor_checksum(data: &[u8]) -> u16 {
    let mut sum = XorChecksum::new();
    sum.update(data);
    sum.value()
}

/// Incremental form of [`xor_checksum`]; any chunking of the input gives the same value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct XorChecksum {
    /// XOR of every complete word seen so far.
    acc: u16,
    /// The high byte of a word whose low byte has not arrived yet.
    pending_high: Option<u8>,
}

impl XorChecksum {
    /// A checksum over no data (value 0).
    pub const fn new() -> Self {
        XorChecksum { acc: 0, pending_high: None }
    }

    /// Adds `bytes` to the data covered.
    pub fn update(&mut self, mut bytes: &[u8]) {
        if let Some(high) = self.pending_high {
            match bytes.split_first() {
                Some((&low, rest)) => {
                    self.acc ^= u16::from_be_bytes([high, low]);
                    self.pending_high = None;
                    bytes = rest;
                }
                None => return,
            }
        }
        let mut words = bytes.chunks_exact(2);
        for word in &mut words {
            self.acc ^= u16::from_be_bytes([word[0], word[1]]);
        }
        if let [last] = words.remainder() {
            self.pending_high = Some(*last);
        }
    }

    /// The checksum of all data added so far (a pending odd byte counts as `high << 8`).
    pub fn value(&self) -> u16 {
        match self.pending_high {
            Some(high) => self.acc ^ u16::from_be_bytes([high, 0]),
            None => self.acc,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A direct transcription of the definition, to check the real code against.
    fn reference(data: &[u8]) -> u16 {
        let mut sum = 0u16;
        let mut i = 0;
        while i < data.len() {
            let high = u16::from(data[i]) << 8;
            let low = data.get(i + 1).copied().map_or(0, u16::from);
            sum ^= high | low;
            i += 2;
        }
        sum
    }

    /// Small deterministic PRNG (xorshift64*), so the tests need no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    #[test]
    fn known_vectors() {
        assert_eq!(xor_checksum(&[]), 0);
        assert_eq!(xor_checksum(&[0x12]), 0x1200);
        assert_eq!(xor_checksum(&[0x12, 0x34]), 0x1234);
        assert_eq!(xor_checksum(&[0x12, 0x34, 0x56]), 0x4434);
        assert_eq!(xor_checksum(&[0x12, 0x34, 0x56, 0x78]), 0x1234 ^ 0x5678);
        assert_eq!(xor_checksum(&[0xff, 0xff, 0xff, 0xff]), 0);
        assert_eq!(xor_checksum(&[0xab, 0xcd, 0xab, 0xcd, 0x01]), 0x0100);
        // "AB" = 0x4142, "C" pads to 0x4300.
        assert_eq!(xor_checksum(b"ABC"), 0x0242);
    }

    #[test]
    fn lowercase_hex_without_leading_zeros() {
        assert_eq!(format!("{:x}", xor_checksum(&[0x00, 0x0a])), "a");
        assert_eq!(format!("{:x}", xor_checksum(&[0xbe, 0xef])), "beef");
    }

    #[test]
    fn odd_length_pads_low_byte_with_zero() {
        for len in [1usize, 3, 5, 1939] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let mut padded = data.clone();
            padded.push(0);
            assert_eq!(xor_checksum(&data), xor_checksum(&padded), "len {len}");
            assert_eq!(xor_checksum(&data), reference(&data), "len {len}");
        }
    }

    #[test]
    fn matches_reference_on_random_data() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for _ in 0..200 {
            let len = rng.below(300);
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            assert_eq!(xor_checksum(&data), reference(&data));
        }
    }

    #[test]
    fn any_chunking_gives_the_same_value() {
        let mut rng = Rng(42);
        for _ in 0..500 {
            let len = rng.below(64);
            let data: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            let expected = xor_checksum(&data);
            let mut sum = XorChecksum::new();
            let mut rest = &data[..];
            while !rest.is_empty() {
                // Chunks of 0..=4 bytes, so empty and odd pieces are exercised too.
                let n = rng.below(5).min(rest.len());
                let (piece, tail) = rest.split_at(n);
                sum.update(piece);
                rest = tail;
            }
            assert_eq!(sum.value(), expected, "data {data:02x?}");
        }
    }

    #[test]
    fn byte_at_a_time_and_value_mid_stream() {
        let data = [0x12u8, 0x34, 0x56, 0x78, 0x9a];
        let mut sum = XorChecksum::default();
        for (i, b) in data.iter().enumerate() {
            sum.update(&[*b]);
            assert_eq!(sum.value(), xor_checksum(&data[..=i]));
        }
        // Reading the value does not disturb the pairing.
        sum.update(&[0xbc]);
        assert_eq!(sum.value(), xor_checksum(&[0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc]));
    }
}
