//! Rewrites the modules wasm-split wrote: several chunks become one module, and every module
//! keeps only the function types it uses (wasm-split copies the main module's whole type section
//! into each chunk, several hundred bytes a chunk).
//!
//! The chunks of one split import from the same place (memory, function table, one global; some
//! leave the global out) and define no memory, table or global of their own: each places its functions in the shared table with an
//! element segment at fixed slots, its data in the shared memory at fixed addresses, and calls
//! other modules' functions through the table. So merging is appending: the functions of a later
//! part move up by the functions before them (calls, `ref.func`, element segments), its data and
//! element segment indexes likewise, its imports are those of the merged module that have the same
//! name and type, and type indexes go through one table of the types used.

use std::collections::HashMap;

use anyhow::{Context, anyhow, bail};
use wasm_encoder::reencode::{Error, Reencode, RoundtripReencoder};
use wasmparser::{KnownCustom, Name, Parser, Payload, ValType};

/// A function type, as the key of the merged type section.
type FuncKey = (Vec<ValType>, Vec<ValType>);

/// The types the output uses, in order of first use.
#[derive(Default)]
struct Types {
    index: HashMap<FuncKey, u32>,
    list: Vec<FuncKey>,
}

impl Types {
    fn intern(&mut self, key: &FuncKey) -> u32 {
        if let Some(&i) = self.index.get(key) {
            return i;
        }
        let i = u32::try_from(self.list.len()).unwrap_or(u32::MAX);
        self.index.insert(key.clone(), i);
        self.list.push(key.clone());
        i
    }
}

/// The kinds of things a module imports, in the order of [`Imported`]'s lists.
const KINDS: usize = 5;

fn kind_of(ty: &wasmparser::TypeRef) -> usize {
    match ty {
        wasmparser::TypeRef::Func(_) | wasmparser::TypeRef::FuncExact(_) => 0,
        wasmparser::TypeRef::Table(_) => 1,
        wasmparser::TypeRef::Memory(_) => 2,
        wasmparser::TypeRef::Global(_) => 3,
        wasmparser::TypeRef::Tag(_) => 4,
    }
}

/// Where each import of a part is among the merged module's imports, by kind: functions,
/// tables, memories, globals, tags (each kind has its own index space).
#[derive(Default, Clone)]
struct Imported([Vec<u32>; KINDS]);

/// How the indexes of one input part map into the output.
struct Part<'a> {
    imported: &'a Imported,
    /// How many of each kind the merged module imports.
    imports_total: [u32; KINDS],
    func_offset: u32,
    data_offset: u32,
    elem_offset: u32,
    types: &'a [FuncKey],
    out_types: &'a mut Types,
}

impl Part<'_> {
    /// An index of `kind`: an imported one where the merged module imports it, a defined one
    /// after all imports (and, for functions, after the functions of the parts before).
    fn map(&self, kind: usize, index: u32, offset: u32) -> u32 {
        let own = &self.imported.0[kind];
        match own.get(index as usize) {
            Some(&merged) => merged,
            None => self.imports_total[kind] + offset + (index - own.len() as u32),
        }
    }
}

impl Reencode for Part<'_> {
    type Error = String;

    fn function_index(&mut self, func: u32) -> Result<u32, Error<String>> {
        Ok(self.map(0, func, self.func_offset))
    }

    fn table_index(&mut self, table: u32) -> Result<u32, Error<String>> {
        Ok(self.map(1, table, 0))
    }

    fn memory_index(&mut self, memory: u32) -> Result<u32, Error<String>> {
        Ok(self.map(2, memory, 0))
    }

    fn global_index(&mut self, global: u32) -> Result<u32, Error<String>> {
        Ok(self.map(3, global, 0))
    }

    fn tag_index(&mut self, tag: u32) -> Result<u32, Error<String>> {
        Ok(self.map(4, tag, 0))
    }

    fn type_index(&mut self, ty: u32) -> Result<u32, Error<String>> {
        let key = usize::try_from(ty)
            .ok()
            .and_then(|i| self.types.get(i))
            .ok_or_else(|| Error::UserError(format!("type {ty} is not declared")))?;
        Ok(self.out_types.intern(key))
    }

    fn data_index(&mut self, data: u32) -> Result<u32, Error<String>> {
        Ok(data + self.data_offset)
    }

    fn element_index(&mut self, element: u32) -> Result<u32, Error<String>> {
        Ok(element + self.elem_offset)
    }
}

fn reencode_error(e: Error<String>) -> anyhow::Error {
    match e {
        Error::ParseError(e) => anyhow!("{e}"),
        other => anyhow!("{other}"),
    }
}

/// A value type the merge can carry between modules: numbers, vectors and the two untyped
/// references (a typed reference names a type index and would need its own mapping).
fn plain(ty: ValType) -> anyhow::Result<ValType> {
    match ty {
        ValType::I32 | ValType::I64 | ValType::F32 | ValType::F64 | ValType::V128 => Ok(ty),
        ValType::Ref(r)
            if r == wasmparser::RefType::FUNCREF || r == wasmparser::RefType::EXTERNREF =>
        {
            Ok(ty)
        }
        other => bail!("value type {other} is not supported"),
    }
}

/// What one input declares, read before its code is rewritten.
struct Header {
    types: Vec<FuncKey>,
    /// Each import: its kind and what makes it the same import in another part (module, name
    /// and type, a function's by its signature).
    imports: Vec<(usize, String)>,
    defined_funcs: u32,
    data_segments: u32,
    elem_segments: u32,
}

fn header(bytes: &[u8]) -> anyhow::Result<Header> {
    let mut h = Header {
        types: Vec::new(),
        imports: Vec::new(),
        defined_funcs: 0,
        data_segments: 0,
        elem_segments: 0,
    };
    for payload in Parser::new(0).parse_all(bytes) {
        match payload? {
            Payload::TypeSection(reader) => {
                for group in reader {
                    let group = group?;
                    if group.is_explicit_rec_group() {
                        bail!("recursive type groups are not supported");
                    }
                    for sub in group.into_types() {
                        let wasmparser::CompositeInnerType::Func(f) = &sub.composite_type.inner
                        else {
                            bail!("only function types are supported");
                        };
                        let params = f
                            .params()
                            .iter()
                            .map(|t| plain(*t))
                            .collect::<anyhow::Result<_>>()?;
                        let results = f
                            .results()
                            .iter()
                            .map(|t| plain(*t))
                            .collect::<anyhow::Result<_>>()?;
                        h.types.push((params, results));
                    }
                }
            }
            Payload::ImportSection(reader) => {
                for imports in reader {
                    for import in imports?.into_iter() {
                        let (_, import) = import?;
                        let ty = match import.ty {
                            wasmparser::TypeRef::Func(t) | wasmparser::TypeRef::FuncExact(t) => {
                                let sig = usize::try_from(t).ok().and_then(|t| h.types.get(t));
                                format!("func {sig:?}")
                            }
                            other => format!("{other:?}"),
                        };
                        h.imports.push((
                            kind_of(&import.ty),
                            format!("{}\0{}\0{ty}", import.module, import.name),
                        ));
                    }
                }
            }
            Payload::FunctionSection(reader) => h.defined_funcs = reader.count(),
            Payload::DataSection(reader) => h.data_segments = reader.count(),
            Payload::ElementSection(reader) => h.elem_segments = reader.count(),
            _ => {}
        }
    }
    Ok(h)
}

/// Writes `parts` (wasm modules) as one module: the functions, element and data segments of
/// each, in order, under the imports they share; only the function types used; the function
/// names of a name section when `keep_names`, no other custom section. One part is rewritten
/// alone (its types trimmed). The result is validated.
pub fn merge(parts: &[&[u8]], keep_names: bool) -> anyhow::Result<Vec<u8>> {
    let headers = parts
        .iter()
        .map(|p| header(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    if parts.is_empty() {
        bail!("nothing to merge");
    }
    // The merged module's imports: every part's, once, in order of first appearance.
    // Each import's index among the merged module's of its kind, and the part that brings it.
    let mut merged_imports: HashMap<&str, (u32, usize)> = HashMap::new();
    let mut imports_total = [0u32; KINDS];
    let mut imported = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let mut own = Imported::default();
        for (kind, key) in &h.imports {
            let (index, _) = *merged_imports.entry(key).or_insert_with(|| {
                imports_total[*kind] += 1;
                (imports_total[*kind] - 1, i)
            });
            own.0[*kind].push(index);
        }
        imported.push(own);
    }
    let mut out_types = Types::default();
    let mut imports = wasm_encoder::ImportSection::new();
    let mut functions = wasm_encoder::FunctionSection::new();
    let mut exports = wasm_encoder::ExportSection::new();
    let mut elements = wasm_encoder::ElementSection::new();
    let mut data_count = None::<u32>;
    let mut code = wasm_encoder::CodeSection::new();
    let mut data = wasm_encoder::DataSection::new();
    let mut module_name = None::<String>;
    let mut function_names = wasm_encoder::NameMap::new();

    let (mut func_offset, mut data_offset, mut elem_offset) = (0, 0, 0);
    for (i, (bytes, h)) in parts.iter().zip(&headers).enumerate() {
        let mut part = Part {
            imported: &imported[i],
            imports_total,
            func_offset,
            data_offset,
            elem_offset,
            types: &h.types,
            out_types: &mut out_types,
        };
        let merging = parts.len() > 1;
        let mut next_import = 0;
        for payload in Parser::new(0).parse_all(bytes) {
            let payload = payload.with_context(|| format!("part {i}"))?;
            match payload {
                Payload::ImportSection(reader) => {
                    // The imports this part is the first to bring.
                    for group in reader {
                        for import in group?.into_iter() {
                            let (_, import) = import?;
                            let key = &h.imports[next_import].1;
                            next_import += 1;
                            if merged_imports[key.as_str()].1 == i {
                                let ty = part.entity_type(import.ty).map_err(reencode_error)?;
                                imports.import(import.module, import.name, ty);
                            }
                        }
                    }
                }
                Payload::FunctionSection(reader) => {
                    part.parse_function_section(&mut functions, reader)
                        .map_err(reencode_error)?;
                }
                // wasm-split writes chunks and page modules that use the main module's memory,
                // table and globals and start nothing; anything else is not its output.
                Payload::TableSection(_) => bail!("part {i} defines its own table"),
                Payload::MemorySection(_) => bail!("part {i} defines its own memory"),
                Payload::GlobalSection(_) => bail!("part {i} defines its own globals"),
                Payload::TagSection(_) => bail!("part {i} defines its own tags"),
                Payload::StartSection { .. } => bail!("part {i} has a start function"),
                Payload::ExportSection(reader) => {
                    if merging && reader.count() > 0 {
                        bail!("part {i} exports functions: merged, their names could collide");
                    }
                    part.parse_export_section(&mut exports, reader)
                        .map_err(reencode_error)?;
                }
                Payload::ElementSection(reader) => {
                    part.parse_element_section(&mut elements, reader)
                        .map_err(reencode_error)?;
                }
                Payload::DataCountSection { count, .. } => {
                    *data_count.get_or_insert(0) += count;
                }
                Payload::CodeSectionEntry(body) => {
                    part.parse_function_body(&mut code, body)
                        .map_err(reencode_error)?;
                }
                Payload::DataSection(reader) => {
                    part.parse_data_section(&mut data, reader)
                        .map_err(reencode_error)?;
                }
                Payload::CustomSection(reader) if keep_names => {
                    if let KnownCustom::Name(names) = reader.as_known() {
                        for name in names {
                            match name? {
                                Name::Module { name, .. } => {
                                    module_name.get_or_insert_with(|| name.to_owned());
                                }
                                Name::Function(map) => {
                                    for naming in map {
                                        let naming = naming?;
                                        let index = part
                                            .function_index(naming.index)
                                            .map_err(reencode_error)?;
                                        function_names.append(index, naming.name);
                                    }
                                }
                                _ => {}
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        func_offset += h.defined_funcs;
        data_offset += h.data_segments;
        elem_offset += h.elem_segments;
    }

    let mut types = wasm_encoder::TypeSection::new();
    for (params, results) in &out_types.list {
        let convert = |list: &[ValType]| {
            list.iter()
                .map(|t| RoundtripReencoder.val_type(*t))
                .collect::<Result<Vec<_>, _>>()
        };
        let params = convert(params).map_err(|e| anyhow!("{e}"))?;
        let results = convert(results).map_err(|e| anyhow!("{e}"))?;
        types.ty().function(params, results);
    }

    let mut module = wasm_encoder::Module::new();
    // Sections in the order the format requires, each only when it holds something.
    macro_rules! held {
        ($($section:expr),*) => {$(
            if !$section.is_empty() {
                module.section(&$section);
            }
        )*};
    }
    held!(types, imports, functions, exports, elements);
    if let Some(count) = data_count {
        module.section(&wasm_encoder::DataCountSection { count });
    }
    held!(code, data);
    if module_name.is_some() || !function_names.is_empty() {
        let mut names = wasm_encoder::NameSection::new();
        if let Some(name) = &module_name {
            names.module(name);
        }
        if !function_names.is_empty() {
            names.functions(&function_names);
        }
        module.section(&names);
    }
    let bytes = module.finish();
    wasmparser::Validator::new()
        .validate_all(&bytes)
        .map_err(|e| anyhow!("the rewritten module is invalid: {e}"))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_encoder::{
        CodeSection, ConstExpr, DataSection, ElementSection, Elements, EntityType, Function,
        FunctionSection, GlobalType, ImportSection, Instruction, MemoryType, Module, RefType,
        TableType, TypeSection, ValType as V,
    };

    /// The shared memory chunks import.
    fn memory() -> MemoryType {
        MemoryType {
            minimum: 1,
            maximum: None,
            memory64: false,
            shared: false,
            page_size_log2: None,
        }
    }

    fn imports() -> ImportSection {
        let mut imports = ImportSection::new();
        imports.import(
            "__wasm_split",
            "__wasm_split_shared0",
            EntityType::Global(GlobalType {
                val_type: V::I32,
                mutable: true,
                shared: false,
            }),
        );
        imports.import(
            "__wasm_split",
            "__indirect_function_table",
            EntityType::Table(TableType {
                element_type: RefType::FUNCREF,
                table64: false,
                minimum: 64,
                maximum: None,
                shared: false,
            }),
        );
        imports.import("__wasm_split", "memory", EntityType::Memory(memory()));
        imports
    }

    /// A chunk as wasm-split writes them: `unused` types first (the main module's whole list),
    /// then functions `returns_n` (`() -> i32`, returns `n`) and `calls_first` (`(i32) -> i32`,
    /// calls the first function and, through the table, slot `slot`), both placed in the table
    /// from `slot`, and `bytes` at `address`.
    fn chunk(unused: usize, n: i32, slot: i32, address: i32, bytes: &[u8]) -> Vec<u8> {
        let mut types = TypeSection::new();
        for _ in 0..unused {
            types.ty().function([V::F64, V::F64], [V::F64]);
        }
        let returns = u32::try_from(unused).expect("small");
        types.ty().function([], [V::I32]);
        types.ty().function([V::I32], [V::I32]);
        let mut functions = FunctionSection::new();
        functions.function(returns);
        functions.function(returns + 1);
        let mut elements = ElementSection::new();
        elements.active(
            Some(0),
            &ConstExpr::i32_const(slot),
            Elements::Functions(std::borrow::Cow::Borrowed(&[0, 1])),
        );
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::I32Const(n))
            .instruction(&Instruction::End);
        code.function(&f);
        let mut f = Function::new([]);
        f.instruction(&Instruction::Call(0))
            .instruction(&Instruction::I32Const(slot))
            .instruction(&Instruction::CallIndirect {
                type_index: returns,
                table_index: 0,
            })
            .instruction(&Instruction::I32Add)
            .instruction(&Instruction::End);
        code.function(&f);
        let mut data = DataSection::new();
        data.active(0, &ConstExpr::i32_const(address), bytes.iter().copied());
        let mut module = Module::new();
        module
            .section(&types)
            .section(&imports())
            .section(&functions)
            .section(&elements)
            .section(&code)
            .section(&data);
        module.finish()
    }

    fn calls_in(bytes: &[u8]) -> Vec<Vec<u32>> {
        let mut calls = Vec::new();
        for payload in Parser::new(0).parse_all(bytes) {
            if let Payload::CodeSectionEntry(body) = payload.expect("parses") {
                let mut found = Vec::new();
                for op in body.get_operators_reader().expect("operators") {
                    if let wasmparser::Operator::Call { function_index } = op.expect("operator") {
                        found.push(function_index);
                    }
                }
                calls.push(found);
            }
        }
        calls
    }

    #[test]
    fn merged_chunks_keep_their_calls_slots_and_data() {
        let a = chunk(3, 1, 10, 0x100, b"aa");
        let b = chunk(0, 2, 20, 0x200, b"bb");
        let merged = merge(&[&a, &b], false).expect("merges");
        // The second chunk's functions are 2 and 3 now: its call to its first function follows.
        assert_eq!(calls_in(&merged), vec![vec![], vec![0], vec![], vec![2]]);
        let mut slots = Vec::new();
        let mut addresses = Vec::new();
        let mut types = 0;
        for payload in Parser::new(0).parse_all(&merged) {
            match payload.expect("parses") {
                Payload::TypeSection(r) => types = r.count(),
                Payload::ElementSection(r) => {
                    for e in r {
                        let e = e.expect("element");
                        let wasmparser::ElementKind::Active { offset_expr, .. } = e.kind else {
                            panic!("passive element");
                        };
                        let wasmparser::ElementItems::Functions(funcs) = e.items else {
                            panic!("expressions");
                        };
                        let funcs: Vec<u32> = funcs.into_iter().map(|f| f.expect("f")).collect();
                        slots.push((
                            format!(
                                "{:?}",
                                offset_expr.get_operators_reader().read().expect("op")
                            ),
                            funcs,
                        ));
                    }
                }
                Payload::DataSection(r) => {
                    for d in r {
                        addresses.push(d.expect("data").data.to_vec());
                    }
                }
                _ => {}
            }
        }
        // The three unused types are gone; the two used by both chunks are one each.
        assert_eq!(types, 2);
        assert_eq!(
            slots,
            vec![
                ("I32Const { value: 10 }".to_owned(), vec![0, 1]),
                ("I32Const { value: 20 }".to_owned(), vec![2, 3]),
            ]
        );
        assert_eq!(addresses, vec![b"aa".to_vec(), b"bb".to_vec()]);
    }

    #[test]
    fn one_module_alone_keeps_only_the_types_it_uses() {
        let a = chunk(40, 1, 10, 0x100, b"aa");
        let slim = merge(&[&a], false).expect("rewrites");
        assert!(
            slim.len() + 40 * 5 <= a.len(),
            "{} → {}",
            a.len(),
            slim.len()
        );
        assert_eq!(calls_in(&slim), vec![vec![], vec![0]]);
    }

    #[test]
    fn imports_are_shared_by_name_and_type() {
        // A part without the global and with a function import of its own: the merged module
        // imports the global once and the function once, and the part's call to its import
        // follows it.
        let a = chunk(0, 1, 10, 0x100, b"aa");
        let mut types = TypeSection::new();
        types.ty().function([], [V::I32]);
        let mut imports = ImportSection::new();
        imports.import("env", "f", EntityType::Function(0));
        imports.import("__wasm_split", "memory", EntityType::Memory(memory()));
        let mut functions = FunctionSection::new();
        functions.function(0);
        let mut code = CodeSection::new();
        let mut f = Function::new([]);
        f.instruction(&Instruction::Call(0))
            .instruction(&Instruction::End);
        code.function(&f);
        let mut b = Module::new();
        b.section(&types)
            .section(&imports)
            .section(&functions)
            .section(&code);
        let merged = merge(&[&a, &b.finish()], false).expect("merges");
        let mut names = Vec::new();
        for payload in Parser::new(0).parse_all(&merged) {
            if let Payload::ImportSection(r) = payload.expect("parses") {
                for group in r {
                    for import in group.expect("imports").into_iter() {
                        names.push(import.expect("import").1.name.to_owned());
                    }
                }
            }
        }
        assert_eq!(
            names,
            [
                "__wasm_split_shared0",
                "__indirect_function_table",
                "memory",
                "f"
            ]
        );
        // Function 0 is the import; the first part's two functions are 1 and 2, and they call
        // their first function (now 1); the second part's calls the import.
        assert_eq!(calls_in(&merged), vec![vec![], vec![1], vec![0]]);
    }

    #[test]
    fn a_part_with_a_memory_of_its_own_is_refused() {
        let a = chunk(0, 1, 10, 0x100, b"aa");
        let mut memories = wasm_encoder::MemorySection::new();
        memories.memory(memory());
        let mut b = Module::new();
        b.section(&memories);
        let err = merge(&[&a, &b.finish()], false).expect_err("refused");
        assert!(
            err.to_string().contains("part 1 defines its own memory"),
            "{err}"
        );
    }

    #[test]
    fn function_names_follow_their_functions() {
        let mut names = wasm_encoder::NameSection::new();
        let mut map = wasm_encoder::NameMap::new();
        map.append(1, "calls_first");
        names.functions(&map);
        let mut b = chunk(0, 2, 20, 0x200, b"bb");
        b.extend_from_slice(&{
            let mut m = Module::new();
            m.section(&names);
            m.finish()[8..].to_vec()
        });
        let a = chunk(0, 1, 10, 0x100, b"aa");
        let merged = merge(&[&a, &b], true).expect("merges");
        let mut found = Vec::new();
        for payload in Parser::new(0).parse_all(&merged) {
            if let Payload::CustomSection(c) = payload.expect("parses")
                && let KnownCustom::Name(reader) = c.as_known()
            {
                for name in reader {
                    if let Name::Function(map) = name.expect("name") {
                        for n in map {
                            let n = n.expect("naming");
                            found.push((n.index, n.name.to_owned()));
                        }
                    }
                }
            }
        }
        assert_eq!(found, vec![(3, "calls_first".to_owned())]);
    }
}
