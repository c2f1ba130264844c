use zeroize::Zeroizing;

use crate::AuthError;

/// `N` bytes from the operating system's random number generator, wiped when dropped because
/// they become salts and secrets.
pub(crate) fn os_random<const N: usize>() -> Result<Zeroizing<[u8; N]>, AuthError> {
    let mut bytes = Zeroizing::new([0u8; N]);
    getrandom::fill(bytes.as_mut_slice()).map_err(AuthError::Randomness)?;
    Ok(bytes)
}
