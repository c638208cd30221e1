//! Whether an ELF executable is statically linked: one with a `PT_INTERP`
//! program header needs a dynamic loader and libraries, which an initramfs
//! or an appliance copy of vfnet may lack. Pure: reads bytes given.

/// `PT_INTERP`: the program header naming the dynamic loader.
const PT_INTERP: u32 = 3;

/// Whether `elf` (the file's first bytes, its program headers included)
/// asks for a dynamic loader. `None` when it is not a 64- or 32-bit
/// little-endian ELF file whose headers lie within `elf`.
pub fn needs_loader(elf: &[u8]) -> Option<bool> {
    if elf.get(..4)? != b"\x7fELF" || *elf.get(5)? != 1 {
        return None;
    }
    let u16_at = |o: usize| Some(u16::from_le_bytes(elf.get(o..o + 2)?.try_into().ok()?));
    let u32_at = |o: usize| Some(u32::from_le_bytes(elf.get(o..o + 4)?.try_into().ok()?));
    let u64_at = |o: usize| Some(u64::from_le_bytes(elf.get(o..o + 8)?.try_into().ok()?));
    let (phoff, size, count) = match elf.get(4)? {
        2 => (usize::try_from(u64_at(32)?).ok()?, u16_at(54)?, u16_at(56)?),
        1 => (u32_at(28)? as usize, u16_at(42)?, u16_at(44)?),
        _ => return None,
    };
    let mut any = false;
    for i in 0..count as usize {
        let at = phoff.checked_add(i.checked_mul(size as usize)?)?;
        any |= u32_at(at)? == PT_INTERP;
    }
    Some(any)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 64-bit ELF header with program headers of the given types.
    fn elf64(types: &[u32]) -> Vec<u8> {
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 2;
        b[5] = 1;
        b[32..40].copy_from_slice(&64u64.to_le_bytes());
        b[54..56].copy_from_slice(&56u16.to_le_bytes());
        b[56..58].copy_from_slice(&(types.len() as u16).to_le_bytes());
        for t in types {
            let mut ph = vec![0u8; 56];
            ph[..4].copy_from_slice(&t.to_le_bytes());
            b.extend(ph);
        }
        b
    }

    #[test]
    fn an_interpreter_header_means_dynamic_and_none_static() {
        assert_eq!(needs_loader(&elf64(&[6, 3, 1])), Some(true));
        assert_eq!(needs_loader(&elf64(&[1, 1, 4])), Some(false));
        assert_eq!(needs_loader(b"#!/bin/sh\n"), None);
        // Headers past the bytes given: not known.
        let mut cut = elf64(&[1, 3]);
        cut.truncate(100);
        assert_eq!(needs_loader(&cut), None);
    }

    #[test]
    fn the_test_binary_itself_is_read() {
        let me = std::fs::read("/proc/self/exe").unwrap();
        assert!(needs_loader(&me).is_some());
    }
}
