//! The JSON reader (TrueNAS's middleware answers): any bytes, no panic;
//! whatever it reads, written back and read again, is the same value.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vfnet::json::{self, Value};

fn write(out: &mut String, v: &Value) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => out.push_str(n),
        Value::Str(s) => json::string(out, s),
        Value::Arr(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, x);
            }
            out.push(']');
        }
        Value::Obj(m) => {
            out.push('{');
            for (i, (k, x)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::string(out, k);
                out.push(':');
                write(out, x);
            }
            out.push('}');
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = vfnet::truenas::scripts(text);
    if let Some(v) = json::parse(text) {
        let mut again = String::new();
        write(&mut again, &v);
        assert_eq!(json::parse(&again), Some(v), "{again}");
    }
});
