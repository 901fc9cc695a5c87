//! Packing must be invisible: an item read from a run is what `from_value(to_value(item))`
//! gives, for every shape serde has, and a peer's run is checked before anything reads it.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::{PackedRun, pack_into};
use crate::{
    ErrorKind,
    value::{Value, from_value, to_value},
};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Point {
    x: i32,
    y: f64,
    label: Option<String>,
    tags: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum Shape {
    Empty,
    Circle(f64),
    Pair(u8, u8),
    Rect { w: u32, h: u32 },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Unit;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Meters(f32);

fn pack<T: Serialize>(items: &[T]) -> PackedRun {
    let mut buf = Vec::new();
    for item in items {
        assert!(pack_into(&mut buf, item), "plain data packs");
    }
    let bytes = Bytes::from(buf);
    // What this process packs passes the check a receiving peer makes.
    PackedRun::check(bytes, items.len(), 256).expect("a packed run is well-formed")
}

/// Reads `item` as `U` through a run and through values: both must agree exactly.
fn same_as_values<T: Serialize, U: DeserializeOwned + std::fmt::Debug>(item: &T) {
    let via_values = from_value::<U>(to_value(item).unwrap());
    let via_run = pack(std::slice::from_ref(item)).next_item::<U>().unwrap();
    assert_eq!(format!("{via_run:?}"), format!("{via_values:?}"));
    let value_via_run = pack(std::slice::from_ref(item))
        .next_value()
        .unwrap()
        .unwrap();
    assert_eq!(
        format!("{value_via_run:?}"),
        format!("{:?}", to_value(item).unwrap())
    );
}

#[test]
fn plain_items_read_back_exactly_as_through_values() {
    same_as_values::<u64, u64>(&0);
    same_as_values::<u64, u64>(&1_000_000);
    same_as_values::<i64, i64>(&i64::MIN);
    same_as_values::<u64, u64>(&(i64::MAX as u64));
    same_as_values::<i128, i128>(&-5);
    same_as_values::<f64, f64>(&1.5);
    same_as_values::<f64, f64>(&f64::INFINITY);
    same_as_values::<f32, f32>(&0.1);
    same_as_values::<bool, bool>(&true);
    same_as_values::<char, char>(&'é');
    same_as_values::<String, String>(&"héllo".to_string());
    same_as_values::<Option<u8>, Option<u8>>(&None);
    same_as_values::<Option<u8>, Option<u8>>(&Some(7));
    same_as_values::<Vec<u32>, Vec<u32>>(&vec![1, 2, 3]);
    same_as_values::<(u8, String, bool), (u8, String, bool)>(&(1, "a".into(), false));
    same_as_values::<Unit, Unit>(&Unit);
    same_as_values::<Meters, Meters>(&Meters(2.5));
    let point = Point {
        x: -3,
        y: 0.25,
        label: Some("p".into()),
        tags: vec!["a".into(), "b".into()],
    };
    same_as_values::<Point, Point>(&point);
    for shape in [
        Shape::Empty,
        Shape::Circle(1.0),
        Shape::Pair(1, 2),
        Shape::Rect { w: 3, h: 4 },
    ] {
        same_as_values::<Shape, Shape>(&shape);
    }
    let map: BTreeMap<String, Vec<Option<i16>>> = [("k".to_string(), vec![Some(1), None])].into();
    same_as_values::<_, BTreeMap<String, Vec<Option<i16>>>>(&map);
    // Integer keys are written in decimal, as JavaScript does.
    let numbered: BTreeMap<u32, bool> = [(10, true), (2, false)].into();
    same_as_values::<_, BTreeMap<String, bool>>(&numbered);
    same_as_values::<_, Value>(&numbered);
    same_as_values::<_, Value>(&point);
    same_as_values::<_, Value>(&Bytes::from_static(b"\x00\x01"));
    same_as_values::<_, Vec<u8>>(&Bytes::from_static(b"\x00\x01"));
}

#[test]
fn numbers_convert_between_types_as_values_do() {
    // An integer read as a float, a whole float read as an integer.
    same_as_values::<u64, f64>(&3);
    same_as_values::<f64, u8>(&3.0);
    same_as_values::<u32, Option<u64>>(&9);
    // …and what does not fit is refused by both.
    same_as_values::<u32, u8>(&300);
    same_as_values::<f64, i32>(&2.5);
    same_as_values::<String, u8>(&"x".to_string());
    same_as_values::<Point, Shape>(&Point {
        x: 0,
        y: 0.0,
        label: None,
        tags: vec![],
    });
}

#[test]
fn an_item_that_does_not_read_costs_only_itself() {
    let mut run = pack(&[1u32, 300, 3]);
    assert_eq!(run.next_item::<u8>().unwrap().unwrap(), 1);
    let err = run.next_item::<u8>().unwrap().unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidArgument);
    assert_eq!(run.next_item::<u8>().unwrap().unwrap(), 3);
    assert!(run.next_item::<u8>().is_none());

    // A reader wanting less than was sent skips the rest of each item.
    let mut run = pack(&[(1u8, 2u8, 3u8), (4, 5, 6)]);
    assert_eq!(run.next_item::<(u8, u8)>().unwrap().unwrap(), (1, 2));
    assert_eq!(run.next_item::<(u8, u8)>().unwrap().unwrap(), (4, 5));
    #[derive(Deserialize, Debug, PartialEq)]
    struct JustX {
        x: i32,
    }
    let p = Point {
        x: 9,
        y: 1.0,
        label: None,
        tags: vec!["t".into()],
    };
    let mut run = pack(&[p.clone(), p]);
    assert_eq!(run.next_item::<JustX>().unwrap().unwrap(), JustX { x: 9 });
    assert_eq!(run.next_item::<Point>().unwrap().unwrap().tags, ["t"]);
    assert_eq!(run.len(), 0);
}

#[test]
fn what_only_values_carry_is_not_packed() {
    let mut buf = b"kept".to_vec();
    assert!(!pack_into(&mut buf, &()));
    assert!(!pack_into(&mut buf, &u64::MAX));
    assert!(!pack_into(&mut buf, &(i128::from(i64::MIN) - 1)));
    assert!(!pack_into(&mut buf, &Value::Date(Some(0.0))));
    assert!(!pack_into(&mut buf, &vec![Value::Int(1), Value::Undefined]));
    assert!(!pack_into(
        &mut buf,
        &HashMap::from([(1.5f64.to_bits(), ())])
    ));
    // A failed item leaves nothing behind.
    assert_eq!(buf, b"kept");
}

/// Serializes with a length hint that does not match what follows.
struct Liar(Vec<u8>);

impl Serialize for Liar {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Liar", 5)?;
        for b in &self.0 {
            st.serialize_field("b", b)?;
        }
        st.end()
    }
}

#[test]
fn containers_are_counted_whatever_the_length_hint() {
    // An iterator of unknown length, a short struct, and a long one.
    let odd: Vec<u32> = (0..20).collect();
    let filtered = SerializeIter(odd.iter().filter(|n| *n % 2 == 1).copied());
    same_as_values::<_, Vec<u32>>(&filtered);
    same_as_values::<_, Value>(&Liar(vec![1, 2]));
    let long = Liar((0..40).collect());
    let mut run = pack(&[long]);
    // Duplicate keys: the object keeps one, as a value would.
    assert_eq!(
        run.next_value().unwrap().unwrap().get("b"),
        Some(&Value::Int(39))
    );
}

struct SerializeIter<I>(I);

impl<I: Iterator<Item = u32> + Clone> Serialize for SerializeIter<I> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.0.clone())
    }
}

fn check(bytes: &[u8], count: usize) -> Result<PackedRun, crate::RpcError> {
    PackedRun::check(Bytes::copy_from_slice(bytes), count, 4)
}

#[test]
fn a_peers_run_is_checked_before_it_is_read() {
    // ["a", {"k": [1, {"d": nil}]}]: keys strings at every level.
    let good = b"\xa1a\x81\xa1k\x92\x01\x81\xa1d\xc0";
    assert_eq!(check(good, 2).unwrap().len(), 2);

    let refused = [
        (&b"\x01\x02"[..], 1, "bytes after the last item"),
        (b"\x01", 2, "unexpected end"),
        (b"\x92\x01", 1, "unexpected end"),
        (b"\x81\x01\x02", 1, "a map key is an integer"),
        (b"\xd4\x00\x00", 1, "an extension type"),
        (
            b"\xcf\xff\xff\xff\xff\xff\xff\xff\xff",
            1,
            "an integer beyond i64",
        ),
        (b"\xa2\xff\xfe", 1, "not UTF-8"),
        (b"\xc1", 1, "reserved marker"),
    ];
    for (bytes, count, why) in refused {
        let err = check(bytes, count).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Protocol, "{bytes:?}");
        assert!(err.message().contains(why), "{bytes:?}: {}", err.message());
    }

    // Nesting: four levels pass a limit of four, five do not.
    assert!(check(b"\x91\x91\x91\x91\x01", 1).is_ok());
    let err = check(b"\x91\x91\x91\x91\x91\x01", 1).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LimitExceeded);
    assert!(err.message().contains("max_depth"), "{}", err.message());
}

#[test]
fn a_run_sent_on_keeps_only_what_is_unread() {
    let mut run = pack(&["a", "b", "c"]);
    assert_eq!(run.next_item::<String>().unwrap().unwrap(), "a");
    let (bytes, count) = run.into_parts();
    let mut rest = PackedRun::check(bytes, count, 256).unwrap();
    assert_eq!(rest.next_item::<String>().unwrap().unwrap(), "b");
    assert_eq!(rest.next_item::<String>().unwrap().unwrap(), "c");
    assert!(rest.next_item::<String>().is_none());
}
