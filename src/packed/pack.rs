//! The packer of `crate::packed`'s format, run by build.rs (which takes
//! this file as its module) and by the tests.

/// Packs `data` (build time, and the tests): at each byte the longest
/// match among the last 4096 bytes, found through chains of earlier
/// positions whose next 3 bytes hash alike.
pub fn pack(data: &[u8]) -> Vec<u8> {
    // A hash of the next 3 bytes (collisions only lengthen a chain).
    let key = |i: usize| {
        ((data[i] as usize) << 10 ^ (data[i + 1] as usize) << 5 ^ data[i + 2] as usize) & 0x7fff
    };
    let mut head = vec![usize::MAX; 1 << 15];
    let mut prev = vec![usize::MAX; data.len()];
    let mut seen = 0; // positions entered into the chains
    let mut out = (data.len() as u32).to_le_bytes().to_vec();
    let mut i = 0;
    while i < data.len() {
        let at = out.len();
        out.push(0);
        for bit in 0..8 {
            if i >= data.len() {
                break;
            }
            while seen < i && seen + 2 < data.len() {
                let k = key(seen);
                prev[seen] = head[k];
                head[k] = seen;
                seen += 1;
            }
            let (mut best, mut back) = (0, 0);
            if i + 2 < data.len() {
                let mut j = head[key(i)];
                while j != usize::MAX && i - j <= 4096 {
                    let mut l = 0;
                    while l < 18 && i + l < data.len() && data[j + l] == data[i + l] {
                        l += 1;
                    }
                    if l > best {
                        (best, back) = (l, i - j);
                    }
                    j = prev[j];
                }
            }
            if best >= 3 {
                out[at] |= 1 << bit;
                let word = (((back - 1) << 4) | (best - 3)) as u16;
                out.extend_from_slice(&word.to_be_bytes());
                i += best;
            } else {
                out.push(data[i]);
                i += 1;
            }
        }
    }
    out
}
