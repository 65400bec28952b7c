//! What kind of file a package path is, so that findings in it can be
//! ranked: a secret in the handler's own module is live, the same string in
//! a vendored library's test fixture is almost always noise (gitleaks'
//! idea of tagging vendored trees, done here as a class rather than a skip).
//!
//! Classification reads the path inside the package (`archive::Entry::
//! package_path`, nested archives joined with `!/`), the function's handler
//! when the IaC names one, whether the package is a layer, and the first
//! bytes of the file (for binaries).

use fnguard_core::severity::Severity;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FileClass {
    /// The function's own code: the handler's module and folder, and any
    /// other source outside vendored, test and doc trees.
    FirstParty,
    /// Code the function ships but did not write: `site-packages`,
    /// `*.dist-info`, `node_modules`, `vendor/`, layer trees (`python/`,
    /// `nodejs/`, `ruby/gems`, `java/lib`), jars under `lib/`, classes and
    /// assemblies outside the handler's package.
    VendoredDependency,
    /// Tests, docs and examples: `tests/`, `test_*.py`, `*_test.go`,
    /// `__tests__`, `docs/`, `*.md`, `examples/`.
    TestOrDoc,
    /// Configuration read at run time: `.env`, `.env.*`, `config.*`,
    /// `settings.*`, `*.ini`, `*.properties`, `application.yml`,
    /// `appsettings.json`.
    RuntimeConfig,
    /// Compiled or binary content (ELF, Mach-O, PE, Java class, wasm,
    /// archives, or NUL bytes near the start), told by content.
    Binary,
}

impl FileClass {
    /// How many severity levels a finding in such a file moves (negative is
    /// lower), for rules that judge content (secrets, dangerous code):
    ///
    /// * first party and runtime config: 0, the function runs it or reads it;
    /// * binary: -1, matches on raw bytes are less certain (the function's
    ///   own `bootstrap` is first party, not binary);
    /// * test or doc: -1, shipped but seldom run; a real key there is still
    ///   a leak;
    /// * vendored dependency: -2, the library's own fixtures and examples
    ///   are the usual hit; its advisories are judged by `deps`, not here.
    pub fn severity_shift(self) -> i8 {
        match self {
            FileClass::FirstParty | FileClass::RuntimeConfig => 0,
            FileClass::Binary | FileClass::TestOrDoc => -1,
            FileClass::VendoredDependency => -2,
        }
    }

    /// `severity` moved by [`FileClass::severity_shift`], kept within
    /// info..critical.
    pub fn adjust(self, severity: Severity) -> Severity {
        let index = Severity::ALL
            .iter()
            .rev()
            .position(|s| *s == severity)
            .unwrap_or(0) as i8;
        let moved = (index + self.severity_shift()).clamp(0, 4) as usize;
        Severity::ALL[Severity::ALL.len() - 1 - moved]
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FileClass::FirstParty => "first-party",
            FileClass::VendoredDependency => "vendored-dependency",
            FileClass::TestOrDoc => "test-or-doc",
            FileClass::RuntimeConfig => "runtime-config",
            FileClass::Binary => "binary",
        }
    }
}

/// What the IaC's `Handler` tells about the package layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Handler {
    /// The module's path without extension (`src/app` for `src/app.handler`,
    /// `pkg/mod` for `pkg.mod.handler`, `com/example/Handler` for Java).
    module: String,
    /// The folder of the module (`src`; empty at the root).
    folder: String,
    /// Java: the package folder of the handler class (`com/example`),
    /// classes outside it being shaded dependencies.
    java_package: Option<String>,
    /// .NET: the handler's assembly (`MyFunction` for
    /// `MyFunction::MyFunction.Function::Handler`).
    dotnet_assembly: Option<String>,
}

impl Handler {
    /// Reads a handler string of any runtime: `app.handler` (Python,
    /// Node.js, Ruby), `src/app.handler`, `pkg.mod.handler`,
    /// `lib/function.Handler.process` (Ruby), `com.example.Handler::handleRequest`
    /// or `com.example.Handler` (Java), `Assembly::Namespace.Class::Method`
    /// (.NET). Go and custom runtimes run `bootstrap`, whatever the handler.
    pub fn parse(handler: &str) -> Option<Handler> {
        let handler = handler.trim();
        if handler.is_empty() {
            return None;
        }
        let parts: Vec<&str> = handler.split("::").collect();
        if parts.len() == 3 {
            let assembly = parts[0].to_string();
            return Some(Handler {
                module: assembly.clone(),
                folder: String::new(),
                java_package: None,
                dotnet_assembly: Some(assembly),
            });
        }
        let (path, last) = match handler.rsplit_once('/') {
            Some((folder, last)) => (format!("{folder}/"), last),
            None => (String::new(), handler),
        };
        let class_name = parts[0].rsplit('.').next().unwrap_or("");
        let is_java = parts.len() == 2
            || (path.is_empty()
                && last.contains('.')
                && class_name.starts_with(|c: char| c.is_ascii_uppercase()));
        if is_java {
            let class_path = parts[0].replace('.', "/");
            let package = class_path
                .rsplit_once('/')
                .map(|(package, _)| package.to_string());
            return Some(Handler {
                folder: package.clone().unwrap_or_default(),
                module: class_path,
                java_package: package,
                dotnet_assembly: None,
            });
        }
        // Ruby's `file.Class.method` and Python's `pkg.mod.function`: the
        // module is all but the last dotted part; a capitalised part starts
        // the Ruby class, which is not a file.
        let dotted: Vec<&str> = last.split('.').collect();
        if dotted.len() < 2 {
            // go1.x names its executable (`main`); custom runtimes often
            // say `bootstrap`: the handler is then a file of that name.
            return Some(Handler {
                module: handler.to_string(),
                folder: path.trim_end_matches('/').to_string(),
                java_package: None,
                dotnet_assembly: None,
            });
        }
        let mut module_parts = &dotted[..dotted.len() - 1];
        if let Some(class_at) = module_parts
            .iter()
            .skip(1)
            .position(|p| p.starts_with(|c: char| c.is_ascii_uppercase()))
        {
            module_parts = &module_parts[..=class_at];
        }
        let module = format!("{path}{}", module_parts.join("/"));
        let folder = module
            .rsplit_once('/')
            .map(|(folder, _)| folder.to_string())
            .unwrap_or_default();
        Some(Handler {
            module,
            folder,
            java_package: None,
            dotnet_assembly: None,
        })
    }

    /// Whether `path` is the handler's module file (any extension).
    fn is_module(&self, path: &str) -> bool {
        let stem = path.rsplit_once('.').map(|(stem, _)| stem).unwrap_or(path);
        stem == self.module
    }

    fn in_folder(&self, path: &str) -> bool {
        !self.folder.is_empty()
            && path.starts_with(&self.folder)
            && path[self.folder.len()..].starts_with('/')
    }
}

/// What is known of the package a path comes from.
#[derive(Debug, Clone, Default)]
pub struct Context {
    pub handler: Option<Handler>,
    /// A Lambda layer: its `python/`, `nodejs/`, `ruby/` and `java/` trees
    /// are libraries by construction.
    pub layer: bool,
}

/// The class of the file at `package_path` (nested archives joined with
/// `!/`), whose content starts with `head` (a few KiB are enough).
pub fn classify(package_path: &str, head: &[u8], context: &Context) -> FileClass {
    let mut members: Vec<&str> = package_path.split("!/").collect();
    let path = members.pop().unwrap_or("");
    // A file inside a vendored (or test) archive is what its archive is:
    // `lib/jackson.jar!/com/fasterxml/X.class` is a dependency.
    let handler = context.handler.as_ref();
    for (depth, member) in members.iter().enumerate() {
        let layer = depth == 0 && context.layer;
        if let Some(class @ (FileClass::VendoredDependency | FileClass::TestOrDoc)) =
            by_path(member, handler, layer)
        {
            return class;
        }
    }
    // Inside the function's own jar (`app.jar!/com/example/Handler.class`)
    // the handler still tells its classes from shaded ones; the layer
    // layout is the outer package's only.
    let layer = members.is_empty() && context.layer;
    if let Some(class) = by_path(path, handler, layer) {
        return class;
    }
    if is_binary(head) {
        return FileClass::Binary;
    }
    if is_runtime_config(path) {
        return FileClass::RuntimeConfig;
    }
    FileClass::FirstParty
}

/// The classes that the path alone settles, the handler first among them.
fn by_path(path: &str, handler: Option<&Handler>, layer: bool) -> Option<FileClass> {
    let lower = path.to_ascii_lowercase();
    let segments: Vec<&str> = lower.split('/').collect();
    let (folders, name) = segments.split_at(segments.len().saturating_sub(1));
    let name = name.first().copied().unwrap_or("");
    if is_vendored(folders, name, layer) {
        return Some(FileClass::VendoredDependency);
    }
    if let Some(handler) = handler {
        // The handler's folder is its own, configuration files apart.
        if handler.is_module(path) || (handler.in_folder(path) && !is_runtime_config(path)) {
            return Some(FileClass::FirstParty);
        }
    }
    // Custom runtimes (Go, Rust, anything on provided.*) run this file.
    if path == "bootstrap" {
        return Some(FileClass::FirstParty);
    }
    if let Some(handler) = handler {
        match in_handler_unit(handler, path, &lower, name) {
            Some(true) => return Some(FileClass::FirstParty),
            Some(false) => return Some(FileClass::VendoredDependency),
            None => {}
        }
    }
    if is_test_or_doc(folders, name) {
        return Some(FileClass::TestOrDoc);
    }
    None
}

fn is_vendored(folders: &[&str], name: &str, layer: bool) -> bool {
    let vendored_folder = folders.iter().any(|folder| {
        matches!(
            *folder,
            "node_modules"
                | "site-packages"
                | "dist-packages"
                | "vendor"
                | "bower_components"
                | "jspm_packages"
                | ".bundle"
        ) || folder.ends_with(".dist-info")
            || folder.ends_with(".egg-info")
    });
    if vendored_folder {
        return true;
    }
    let first = folders.first().copied().unwrap_or("");
    // Java: dependencies sit in `lib/` of a function zip, in `java/lib`
    // of a layer, and in the `lib/` of Spring Boot and WAR layouts.
    let jar = name.ends_with(".jar");
    if jar
        && (first == "lib"
            || folders.ends_with(&["boot-inf", "lib"])
            || folders.ends_with(&["web-inf", "lib"]))
    {
        return true;
    }
    // Ruby gems installed with bundler or in a layer.
    if folders
        .windows(2)
        .any(|pair| pair[0] == "ruby" && pair[1] == "gems")
        || (folders.contains(&"gems") && folders.contains(&"ruby"))
    {
        return true;
    }
    // Layers: the runtime trees are what the layer exists to add.
    layer && matches!(first, "python" | "nodejs" | "ruby" | "java")
}

fn is_test_or_doc(folders: &[&str], name: &str) -> bool {
    let test_folder = folders.iter().any(|folder| {
        matches!(
            *folder,
            "test"
                | "tests"
                | "__tests__"
                | "__mocks__"
                | "spec"
                | "testdata"
                | "fixtures"
                | "doc"
                | "docs"
                | "examples"
        )
    });
    if test_folder {
        return true;
    }
    let stem = name.split('.').next().unwrap_or(name);
    name.starts_with("test_") && name.ends_with(".py")
        || name.ends_with("_test.py")
        || name == "conftest.py"
        || name.ends_with("_test.go")
        || name.ends_with("_spec.rb")
        || [".test.", ".spec."]
            .iter()
            .any(|infix| name.contains(infix))
        || (name.ends_with("test.java")
            || name.ends_with("tests.java")
            || name.ends_with("tests.cs"))
        || [".md", ".rst", ".markdown", ".adoc"]
            .iter()
            .any(|ext| name.ends_with(ext))
        || matches!(
            stem,
            "readme"
                | "changelog"
                | "changes"
                | "history"
                | "license"
                | "licence"
                | "notice"
                | "authors"
                | "contributing"
        )
}

/// For compiled units: whether a Java class is in the handler's
/// organisation and a root .NET assembly is the handler's (true), or is one
/// of the dependencies an uber-jar or a publish folder carries (false);
/// None for other files.
fn in_handler_unit(handler: &Handler, path: &str, lower: &str, name: &str) -> Option<bool> {
    if let Some(package) = &handler.java_package {
        if name.ends_with(".class") && !lower.starts_with("meta-inf/") {
            // The handler's organisation, the first two package levels
            // (`com/example`), is first party; a shaded `com/fasterxml` is not.
            let organisation: Vec<&str> = package.split('/').take(2).collect();
            let organisation = organisation.join("/");
            return Some(
                path.starts_with(&organisation) && path[organisation.len()..].starts_with('/'),
            );
        }
    }
    if let Some(assembly) = &handler.dotnet_assembly {
        if name.ends_with(".dll") && !path.contains('/') {
            return Some(path[..path.len() - 4] == *assembly);
        }
    }
    None
}

fn is_runtime_config(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    let config_ext = |n: &str| {
        [
            ".yml",
            ".yaml",
            ".json",
            ".toml",
            ".ini",
            ".conf",
            ".cfg",
            ".properties",
            ".xml",
            ".js",
            ".py",
        ]
        .iter()
        .any(|ext| n.ends_with(ext))
    };
    name == ".env"
        || name.starts_with(".env.")
        || ((name.starts_with("config.")
            || name.starts_with("settings.")
            || name.starts_with("secrets."))
            && config_ext(&name))
        || name.ends_with(".ini")
        || name.ends_with(".properties")
        || name.ends_with(".env")
        || matches!(
            name.as_str(),
            "application.yml" | "application.yaml" | ".npmrc" | ".pypirc" | "credentials"
        )
        || (name.starts_with("appsettings") && name.ends_with(".json"))
        || (name.starts_with("application-") && (name.ends_with(".yml") || name.ends_with(".yaml")))
}

/// Content sniffing: executable and object formats by magic number,
/// archives, and NUL bytes in the first 8 KiB (text has none).
pub fn is_binary(head: &[u8]) -> bool {
    // PE files (`MZ`) are caught by their NUL bytes: `MZ` alone starts
    // too many text files.
    const MAGICS: [&[u8]; 9] = [
        b"\x7fELF",
        b"\xfe\xed\xfa\xce",
        b"\xfe\xed\xfa\xcf",
        b"\xce\xfa\xed\xfe",
        b"\xcf\xfa\xed\xfe",
        b"\xca\xfe\xba\xbe", // Java class and Mach-O universal
        b"\0asm",
        b"PK\x03\x04",
        b"\x1f\x8b",
    ];
    MAGICS.iter().any(|magic| head.starts_with(magic))
        || memchr::memchr(0, &head[..head.len().min(8192)]).is_some()
}
