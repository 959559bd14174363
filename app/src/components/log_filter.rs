//! The log viewer's line filter: plain text (case-insensitive) or a regular expression that the
//! browser's own `RegExp` compiles, and the stream switches.

/// Which rows show.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    pub text: String,
    pub regex: bool,
    pub stdout: bool,
    pub stderr: bool,
}

/// A compiled filter; a bad regular expression is an error to show.
pub(crate) enum Matcher {
    All,
    Text(String),
    /// A checked pattern; compiled once per thread (a `RegExp` may not leave it).
    #[cfg(feature = "hydrate")]
    Regex(String),
}

#[cfg(feature = "hydrate")]
thread_local! {
    static COMPILED: std::cell::RefCell<Option<(String, js_sys::RegExp)>> =
        const { std::cell::RefCell::new(None) };
}

/// Compiles `pattern` (case-insensitive) with the browser's own `RegExp`, called through
/// `Reflect.construct`, which hands a bad pattern's exception back as an error: no `eval`, so the
/// page's Content-Security-Policy holds, and nothing is thrown through the wasm.
#[cfg(feature = "hydrate")]
fn compile_regex(pattern: &str) -> Result<js_sys::RegExp, String> {
    use wasm_bindgen::JsCast;
    let constructor = js_sys::Reflect::get(&js_sys::global(), &"RegExp".into())
        .ok()
        .and_then(|c| c.dyn_into::<js_sys::Function>().ok())
        .ok_or_else(|| "this browser has no regular expressions".to_owned())?;
    let args = js_sys::Array::of2(&pattern.into(), &"i".into());
    match js_sys::Reflect::construct(&constructor, &args) {
        Ok(re) => Ok(re.unchecked_into()),
        Err(e) => Err(e
            .dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| "not a valid pattern".to_owned())),
    }
}

impl Matcher {
    pub(crate) fn new(filter: &Filter) -> Result<Self, String> {
        if filter.text.is_empty() {
            return Ok(Self::All);
        }
        if filter.regex {
            #[cfg(feature = "hydrate")]
            {
                let compiled = compile_regex(&filter.text)?;
                COMPILED.with(|cell| *cell.borrow_mut() = Some((filter.text.clone(), compiled)));
                return Ok(Self::Regex(filter.text.clone()));
            }
        }
        Ok(Self::Text(filter.text.to_ascii_lowercase()))
    }

    pub(crate) fn matches(&self, text: &str) -> bool {
        match self {
            Self::All => true,
            Self::Text(needle) => text.to_ascii_lowercase().contains(needle.as_str()),
            #[cfg(feature = "hydrate")]
            Self::Regex(pattern) => COMPILED.with(|cell| {
                let mut cell = cell.borrow_mut();
                if cell.as_ref().is_none_or(|(p, _)| p != pattern) {
                    *cell = compile_regex(pattern).ok().map(|re| (pattern.clone(), re));
                }
                cell.as_ref().is_some_and(|(_, re)| re.test(text))
            }),
        }
    }
}
