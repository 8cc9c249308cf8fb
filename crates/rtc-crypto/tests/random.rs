//! The secure random source fills whole buffers with fresh bytes.

use rtc_crypto::providers;

#[test]
fn fill_random_fills_the_buffer_and_two_calls_differ() {
    for provider in providers() {
        let mut a = [0u8; 32];
        let mut b = [0u8; 32];
        (provider.fill_random)(&mut a).unwrap();
        (provider.fill_random)(&mut b).unwrap();
        // Each assertion fails by chance with odds of 2^-256.
        assert_ne!(a, [0; 32], "{}", provider.name);
        assert_ne!(a, b, "{}", provider.name);

        // A long buffer is filled to its end.
        let mut long = vec![0u8; 100_000];
        (provider.fill_random)(&mut long).unwrap();
        assert!(
            long[long.len() - 32..].iter().any(|&x| x != 0),
            "{}",
            provider.name
        );
        assert!(long[..32].iter().any(|&x| x != 0), "{}", provider.name);

        (provider.fill_random)(&mut []).unwrap();
    }
}
