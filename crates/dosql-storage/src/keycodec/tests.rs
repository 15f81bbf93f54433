use super::*;
use KeyValue::{Blob, Integer, Null, Real, Text};
use proptest::prelude::*;

const TWO_53: i64 = 1 << 53;
const TWO_63: f64 = 9_223_372_036_854_775_808.0;

fn text(s: &str) -> KeyValue {
    Text(s.to_owned())
}

/// What a value decodes back to: NaN becomes NULL, -0.0 becomes 0.0.
fn normalize(v: &KeyValue) -> KeyValue {
    match v {
        Real(r) if r.is_nan() => Null,
        Real(r) if *r == 0.0 => Real(0.0),
        v => v.clone(),
    }
}

/// Bit-exact comparison via Debug (distinguishes -0.0 from 0.0).
fn same(a: &[KeyValue], b: &[KeyValue]) -> bool {
    format!("{a:?}") == format!("{b:?}")
}

/// The tie-break among model-equal tuples: types of numeric values in order.
fn type_trailer(t: &[KeyValue]) -> Vec<u8> {
    t.iter()
        .filter_map(|v| match v {
            Integer(_) => Some(1),
            Real(r) if !r.is_nan() => Some(2),
            _ => None,
        })
        .collect()
}

/// Model order of keys: SQLite tuple order with per-column DESC flips, then
/// the type tie-break.
fn model(a: &[KeyValue], b: &[KeyValue], desc: &[bool]) -> Ordering {
    a.iter()
        .zip(b)
        .enumerate()
        .map(|(i, (x, y))| {
            let o = compare_values(x, y);
            if desc.get(i).copied().unwrap_or(false) { o.reverse() } else { o }
        })
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
        .then_with(|| type_trailer(a).cmp(&type_trailer(b)))
}

fn roundtrip(t: &[KeyValue]) {
    let expected: Vec<_> = t.iter().map(normalize).collect();
    let decoded = decode_key(&encode_key(t)).expect("valid key");
    assert!(same(&decoded, &expected), "{t:?} decoded as {decoded:?}");
}

#[test]
fn ladder_of_values_is_sorted() {
    let below_2_63 = f64::from_bits(TWO_63.to_bits() - 1);
    // Groups in ascending order; values within a group are equal in SQLite
    // and listed with INTEGER before REAL.
    let ladder: Vec<Vec<KeyValue>> = vec![
        vec![Null, Real(f64::NAN)],
        vec![Real(f64::NEG_INFINITY)],
        vec![Real(f64::MIN)],
        vec![Real(-f64::from_bits(TWO_63.to_bits() + 1))],
        vec![Integer(i64::MIN), Real(-TWO_63)],
        vec![Integer(i64::MIN + 1)],
        vec![Integer(-TWO_53 - 1)],
        vec![Integer(-TWO_53), Real(-(TWO_53 as f64))],
        vec![Real(-2.5)],
        vec![Integer(-2), Real(-2.0)],
        vec![Real(-1.5)],
        vec![Real(-f64::MIN_POSITIVE)],
        vec![Real(-5e-324)],
        vec![Integer(0), Real(-0.0), Real(0.0)],
        vec![Real(5e-324)],
        vec![Real(1e-310)],
        vec![Real(f64::MIN_POSITIVE)],
        vec![Real(0.5)],
        vec![Integer(1), Real(1.0)],
        vec![Real(1.0 + f64::EPSILON)],
        vec![Real(2.5)],
        vec![Integer(3)],
        vec![Integer(TWO_53 - 1), Real((TWO_53 - 1) as f64)],
        vec![Integer(TWO_53), Real(TWO_53 as f64)],
        vec![Integer(TWO_53 + 1)],
        vec![Integer(TWO_53 + 2), Real((TWO_53 + 2) as f64)],
        vec![Integer(below_2_63 as i64), Real(below_2_63)],
        vec![Integer(below_2_63 as i64 + 1)],
        vec![Integer(i64::MAX - 1)],
        vec![Integer(i64::MAX)],
        vec![Real(TWO_63)],
        vec![Real(f64::MAX)],
        vec![Real(f64::INFINITY)],
        vec![text("")],
        vec![text("\0")],
        vec![text("\0\0")],
        vec![text("\0a")],
        vec![text("\u{1}")],
        vec![text("a")],
        vec![text("a\0")],
        vec![text("a\0b")],
        vec![text("a\u{1}")],
        vec![text("ab")],
        vec![text("\u{7f}")],
        vec![text("é")],
        vec![Blob(vec![])],
        vec![Blob(vec![0])],
        vec![Blob(vec![0, 0])],
        vec![Blob(vec![0, 0xFF])],
        vec![Blob(vec![1])],
        vec![Blob(vec![0xFF])],
        vec![Blob(vec![0xFF, 0])],
    ];
    let flat: Vec<(usize, &KeyValue)> =
        ladder.iter().enumerate().flat_map(|(g, vs)| vs.iter().map(move |v| (g, v))).collect();
    for &(ga, a) in &flat {
        roundtrip(std::slice::from_ref(a));
        for &(gb, b) in &flat {
            assert_eq!(compare_values(a, b), ga.cmp(&gb), "model {a:?} vs {b:?}");
            let (ea, eb) = (encode_key(std::slice::from_ref(a)), encode_key(std::slice::from_ref(b)));
            if ga != gb {
                assert_eq!(ea.cmp(&eb), ga.cmp(&gb), "encoding {a:?} vs {b:?}");
            }
        }
    }
    // Within a group: INTEGER first, -0.0 and 0.0 (and NaN and NULL) identical.
    let key = |v: KeyValue| encode_key(&[v]);
    assert!(key(Integer(i64::MIN)) < key(Real(-TWO_63)));
    assert!(key(Integer(0)) < key(Real(0.0)));
    assert_eq!(key(Real(-0.0)), key(Real(0.0)));
    assert_eq!(key(Real(f64::NAN)), key(Null));
}

#[test]
fn integer_and_real_are_distinct_adjacent_keys() {
    let one = encode_key(&[Integer(1)]);
    let one_r = encode_key(&[Real(1.0)]);
    assert!(one < one_r && one_r < encode_key(&[Real(1.0 + f64::EPSILON)]));
    assert!(encode_key(&[Real(1.0 - f64::EPSILON / 2.0)]) < one);
    assert!(same(&decode_key(&one).expect("int"), &[Integer(1)]));
    assert!(same(&decode_key(&one_r).expect("real"), &[Real(1.0)]));
    // The type is only a tie-break: (1, 'z') > (1.0, 'a'), as in SQLite.
    assert!(encode_key(&[Integer(1), text("z")]) > encode_key(&[Real(1.0), text("a")]));
    assert!(encode_key(&[Real(1.0), Integer(2)]) > encode_key(&[Integer(1), Real(2.0)]));
}

#[test]
fn prefix_tuples_sort_first() {
    let keys = [
        encode_key(&[]),
        encode_key(&[Null]),
        encode_key(&[Null, Null]),
        encode_key(&[Null, Integer(-5)]),
        encode_key(&[Integer(1)]),
        encode_key(&[Real(1.0)]),
        encode_key(&[Integer(1), Null]),
        encode_key(&[Integer(1), text("")]),
        encode_key(&[text("a")]),
        encode_key(&[text("a"), Null]),
        encode_key(&[text("a"), Blob(vec![])]),
        encode_key(&[text("a\0")]),
    ];
    assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
}

#[test]
fn desc_columns_flip_order() {
    let desc = [false, true];
    let k = |a: i64, b: &str| encode_key_with_order(&[Integer(a), text(b)], &desc);
    assert!(k(1, "b") < k(1, "a") && k(1, "a") < k(1, "") && k(1, "") < k(2, "z"));
    let t = [Integer(7), text("x\0y"), Real(-2.5)];
    let enc = encode_key_with_order(&t, &desc);
    assert!(same(&decode_key_with_order(&enc, &desc).expect("desc"), &t));
    assert!(decode_key(&enc).is_err());
}

#[test]
fn decode_rejects_garbage() {
    use KeyDecodeError as E;
    let int5 = encode_key(&[Integer(5)]);
    assert_eq!(decode_key(&int5[..int5.len() - 1]), Err(E::Truncated(11)));
    assert_eq!(decode_key(&int5[..4]), Err(E::Truncated(4)));
    assert_eq!(decode_key(&[TAG_TEXT, b'a', 0]), Err(E::Truncated(3)));
    assert_eq!(decode_key(&[TAG_BLOB, 0, 1, 0, 0]), Err(E::InvalidEscape(2)));
    assert_eq!(decode_key(&[TAG_TEXT, 0xFF, 0, 0]), Err(E::InvalidUtf8(0)));
    assert_eq!(decode_key(&[0x99]), Err(E::InvalidTag(0)));
    assert_eq!(decode_key(&[TAG_NULL, 0x03]), Err(E::InvalidTag(1)));
    assert_eq!(decode_key(&[TAG_ZERO, 0x01, 0x01]), Err(E::TrailingBytes(2)));
    assert_eq!(decode_key(&[TAG_NULL, 0x01]), Err(E::TrailingBytes(1)));
    assert_eq!(decode_key(&[TAG_POS_INF, TRAILER_INTEGER]), Err(E::InvalidNumber(0)));
    let mut half = encode_key(&[Real(0.5)]);
    *half.last_mut().expect("trailer") = TRAILER_INTEGER;
    assert_eq!(decode_key(&half), Err(E::InvalidNumber(0)));
    // 2^53 + 1 is an INTEGER but not exactly a REAL.
    let mut odd = encode_key(&[Integer(TWO_53 + 1)]);
    *odd.last_mut().expect("trailer") = TRAILER_REAL;
    assert_eq!(decode_key(&odd), Err(E::InvalidNumber(0)));
    // 2^63 is a REAL but not an INTEGER.
    let mut big = encode_key(&[Real(TWO_63)]);
    *big.last_mut().expect("trailer") = TRAILER_INTEGER;
    assert_eq!(decode_key(&big), Err(E::InvalidNumber(0)));
    assert!(decode_key(&encode_key(&[Real(-TWO_63)])).is_ok());
}

fn arb_value() -> impl Strategy<Value = KeyValue> {
    let t53 = TWO_53 as f64;
    prop_oneof![
        Just(Null),
        any::<i64>().prop_map(Integer),
        (-3i64..=3).prop_map(Integer),
        (-3i64..=3, any::<bool>()).prop_map(|(d, n)| Integer(if n { -TWO_53 - d } else { TWO_53 + d })),
        (0i64..3, any::<bool>()).prop_map(|(d, n)| Integer(if n { i64::MIN + d } else { i64::MAX - d })),
        any::<f64>().prop_map(Real),
        (-12i32..=12).prop_map(|k| Real(f64::from(k) / 4.0)),
        (-2i64..=2, any::<bool>()).prop_map(move |(d, n)| {
            let r = f64::from_bits((t53.to_bits() as i64 + d) as u64);
            Real(if n { -r } else { r })
        }),
        (-2i64..=2, any::<bool>()).prop_map(|(d, n)| {
            let r = f64::from_bits((TWO_63.to_bits() as i64 + d) as u64);
            Real(if n { -r } else { r })
        }),
        prop_oneof![Just(f64::INFINITY), Just(f64::NEG_INFINITY), Just(-0.0), Just(5e-324)].prop_map(Real),
        prop::collection::vec(prop_oneof![Just('\0'), Just('\u{1}'), Just('a'), Just('é')], 0..4)
            .prop_map(|cs| Text(cs.into_iter().collect())),
        prop::collection::vec(prop_oneof![Just(0u8), Just(1), Just(0xFF), any::<u8>()], 0..4).prop_map(Blob),
    ]
}

fn arb_tuple() -> impl Strategy<Value = Vec<KeyValue>> {
    prop::collection::vec(arb_value(), 0..4)
}

/// Swaps INTEGER and REAL where the value is exactly representable in both.
fn flip_type(v: &KeyValue) -> KeyValue {
    let alt = match v {
        Integer(i) => Real(*i as f64),
        Real(r) => Integer(*r as i64),
        other => return other.clone(),
    };
    if compare_values(v, &alt).is_eq() { alt } else { v.clone() }
}

/// Pairs of tuples sharing a prefix (up to type flips) with good probability.
fn arb_pair() -> impl Strategy<Value = (Vec<KeyValue>, Vec<KeyValue>)> {
    (arb_tuple(), arb_tuple(), 0usize..4, prop::collection::vec(any::<bool>(), 4)).prop_map(|(a, rest, k, flips)| {
        let k = k.min(a.len());
        let mut b: Vec<_> = a[..k].iter().zip(&flips).map(|(v, &f)| if f { flip_type(v) } else { v.clone() }).collect();
        b.extend(rest);
        (a, b)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]

    #[test]
    fn prop_roundtrip(t in arb_tuple()) {
        roundtrip(&t);
    }

    #[test]
    fn prop_encoding_order_matches_model((a, b) in arb_pair()) {
        let (a, b): (Vec<_>, Vec<_>) = (a.iter().map(normalize).collect(), b.iter().map(normalize).collect());
        let got = encode_key(&a).cmp(&encode_key(&b));
        prop_assert_eq!(got, model(&a, &b, &[]), "{:?} vs {:?}", a, b);
        if compare_tuples(&a, &b).is_ne() {
            prop_assert_eq!(got, compare_tuples(&a, &b));
        }
        prop_assert_eq!(got.is_eq(), same(&a, &b));
    }

    #[test]
    fn prop_desc_order_matches_model((a, b) in arb_pair(), desc in prop::collection::vec(any::<bool>(), 0..5)) {
        let (a, b): (Vec<_>, Vec<_>) = (a.iter().map(normalize).collect(), b.iter().map(normalize).collect());
        let (ea, eb) = (encode_key_with_order(&a, &desc), encode_key_with_order(&b, &desc));
        prop_assert_eq!(ea.cmp(&eb), model(&a, &b, &desc), "{:?} vs {:?} desc {:?}", a, b, desc);
        let decoded = decode_key_with_order(&ea, &desc);
        prop_assert!(decoded.is_ok_and(|d| same(&d, &a)));
    }

    #[test]
    fn prop_builder_matches_owned_encoding(t in arb_tuple(), desc in prop::collection::vec(any::<bool>(), 0..5)) {
        let mut b = KeyBuilder::new();
        for (i, v) in t.iter().enumerate() {
            b.push(KeyRef::from(v), desc.get(i).copied().unwrap_or(false));
        }
        prop_assert_eq!(b.finish(), encode_key_with_order(&t, &desc));
    }

    #[test]
    fn prop_prefix_body_bounds_exactly_the_keys_with_that_prefix(
        (a, b) in arb_pair(),
        k in 0usize..5,
        desc in prop::collection::vec(any::<bool>(), 0..5),
    ) {
        // A key starts with the body of `b`'s first k values exactly when
        // its own first k values equal them, and then it lies within
        // [body, body ++ 0xFF].
        let k = k.min(b.len());
        let prefix = &b[..k];
        let body = encode_prefix_body(prefix, &desc);
        let key = encode_key_with_order(&a, &desc);
        let equal = a.len() >= k && a.iter().zip(prefix).all(|(x, y)| compare_values(x, y).is_eq());
        prop_assert_eq!(key.starts_with(&body), equal, "{:?} prefix {:?}", a, prefix);
        let mut end = body.clone();
        end.push(0xFF);
        prop_assert_eq!(key >= body && key <= end, equal, "{:?} prefix {:?}", a, prefix);
    }

    #[test]
    fn prop_decode_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..40), desc in prop::collection::vec(any::<bool>(), 0..3)) {
        if let Ok(v) = decode_key_with_order(&bytes, &desc) {
            prop_assert_eq!(encode_key_with_order(&v, &desc), bytes);
        }
    }

    #[test]
    fn prop_decode_mutated_keys(t in arb_tuple(), pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<bool>()) {
        let mut bytes = encode_key(&t);
        if !bytes.is_empty() {
            let i = pos.index(bytes.len());
            if cut { bytes.truncate(i) } else { bytes[i] = byte }
        }
        if let Ok(v) = decode_key(&bytes) {
            prop_assert_eq!(encode_key(&v), bytes);
        }
    }
}
