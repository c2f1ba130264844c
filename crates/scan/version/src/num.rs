//! Digit-string helpers shared by the schemes: numbers are compared as strings so that
//! arbitrarily long components never overflow and no allocation is needed.

use std::cmp::Ordering;

/// Strips leading `0`s, keeping an empty slice for an all-zero number.
pub(crate) fn strip_zeros(digits: &[u8]) -> &[u8] {
    let start = digits
        .iter()
        .position(|&b| b != b'0')
        .unwrap_or(digits.len());
    &digits[start..]
}

/// Orders two ASCII digit strings by numeric value (`007` == `7`, `10` > `9`).
pub(crate) fn cmp_digits(a: &[u8], b: &[u8]) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// True when `digits` is empty or only zeros.
pub(crate) fn is_zero(digits: &[u8]) -> bool {
    strip_zeros(digits).is_empty()
}

/// Length of the run of ASCII digits at the start of `s`.
pub(crate) fn digit_run(s: &[u8]) -> usize {
    s.iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(s.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_compare_numerically_without_overflow() {
        assert_eq!(cmp_digits(b"007", b"7"), Ordering::Equal);
        assert_eq!(cmp_digits(b"10", b"9"), Ordering::Greater);
        assert_eq!(cmp_digits(b"", b"0"), Ordering::Equal);
        assert_eq!(
            cmp_digits(b"99999999999999999999999", b"100000000000000000000000"),
            Ordering::Less
        );
        assert!(is_zero(b"000"));
        assert!(!is_zero(b"010"));
        assert_eq!(digit_run(b"12ab"), 2);
    }
}

/// Adds one to a digit string (`199` -> `200`), keeping it exact for any length.
pub(crate) fn increment_digits(digits: &[u8]) -> String {
    let mut out: Vec<u8> = strip_zeros(digits).to_vec();
    let mut i = out.len();
    loop {
        if i == 0 {
            out.insert(0, b'1');
            break;
        }
        i -= 1;
        if out[i] == b'9' {
            out[i] = b'0';
        } else {
            out[i] += 1;
            break;
        }
    }
    out.into_iter().map(char::from).collect()
}

#[cfg(test)]
mod increment_tests {
    use super::increment_digits;

    #[test]
    fn increments_with_carry() {
        assert_eq!(increment_digits(b"199"), "200");
        assert_eq!(increment_digits(b"0"), "1");
        assert_eq!(increment_digits(b"9"), "10");
        assert_eq!(increment_digits(b"012"), "13");
    }
}
