//! Sealing with a key per person (ChaCha20-Poly1305).

use chacha20poly1305::{
    aead::{Aead, AeadCore, KeyInit, OsRng},
    ChaCha20Poly1305, Key, Nonce,
};

pub struct Sealed {
    pub key: Vec<u8>,
    pub nonce: Vec<u8>,
    pub ciphertext: Vec<u8>,
}

/// Seals `plain` under a freshly generated key.
pub fn seal(plain: &[u8]) -> Option<Sealed> {
    let key = ChaCha20Poly1305::generate_key(&mut OsRng);
    let nonce = ChaCha20Poly1305::generate_nonce(&mut OsRng);
    let ciphertext = ChaCha20Poly1305::new(&key).encrypt(&nonce, plain).ok()?;
    Some(Sealed {
        key: key.to_vec(),
        nonce: nonce.to_vec(),
        ciphertext,
    })
}

/// Opens what [`seal`] sealed; None if the key, nonce or data are wrong.
pub fn open(key: &[u8], nonce: &[u8], ciphertext: &[u8]) -> Option<Vec<u8>> {
    if key.len() != 32 || nonce.len() != 12 {
        return None;
    }
    let cipher = ChaCha20Poly1305::new(Key::from_slice(key));
    cipher.decrypt(Nonce::from_slice(nonce), ciphertext).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_data_opens_only_with_its_own_key() {
        let sealed = seal(b"Dr Jeanne Martin").unwrap();
        assert_eq!(
            open(&sealed.key, &sealed.nonce, &sealed.ciphertext).as_deref(),
            Some(&b"Dr Jeanne Martin"[..])
        );
        let other = seal(b"x").unwrap();
        assert_eq!(open(&other.key, &sealed.nonce, &sealed.ciphertext), None);
        assert!(!sealed.ciphertext.windows(6).any(|w| w == b"Jeanne"));
    }
}
