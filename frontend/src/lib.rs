//! The browser entry point: hydrates the HTML the server rendered.

#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    // Each page's code is its own chunk: hydration waits for the open page's chunk.
    leptos::mount::hydrate_lazy(app::App);
}
