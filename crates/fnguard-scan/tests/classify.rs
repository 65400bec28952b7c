//! Classification on real layouts of Lambda packages and layers.

use fnguard_core::severity::Severity;
use fnguard_scan::classify::{classify, is_binary, Context, FileClass, Handler};

const TEXT: &[u8] = b"import os\n";

fn function(handler: &str) -> Context {
    Context {
        handler: Some(Handler::parse(handler).expect("a handler")),
        layer: false,
    }
}

fn layer() -> Context {
    Context {
        handler: None,
        layer: true,
    }
}

fn class(path: &str, context: &Context) -> FileClass {
    classify(path, TEXT, context)
}

#[test]
fn python_function_zip() {
    let ctx = function("app.lambda_handler");
    assert_eq!(class("app.py", &ctx), FileClass::FirstParty);
    assert_eq!(class("helpers/db.py", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("requests/api.py", &ctx),
        FileClass::FirstParty,
        "pip -t . puts packages at the root; only their metadata tells"
    );
    assert_eq!(
        class("requests-2.32.3.dist-info/METADATA", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("boto3-1.35.0.dist-info/RECORD", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("tests/test_app.py", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("test_app.py", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("app_test.py", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("conftest.py", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("README.md", &ctx), FileClass::TestOrDoc);
    assert_eq!(class(".env", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class(".env.production", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class("config.py", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class("settings.yaml", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class("db.ini", &ctx), FileClass::RuntimeConfig);
    assert_eq!(
        class("configure.py", &ctx),
        FileClass::FirstParty,
        "a name starting with config is not config.*"
    );
}

#[test]
fn python_handler_in_a_folder_and_dotted() {
    let ctx = function("src/handlers/orders.handle");
    assert_eq!(class("src/handlers/orders.py", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("src/handlers/tests/test_orders.py", &ctx),
        FileClass::FirstParty,
        "the handler's folder is first party"
    );
    assert_eq!(
        class("src/handlers/node_modules/x/index.js", &ctx),
        FileClass::VendoredDependency,
        "vendored trees win inside it"
    );
    let ctx = function("service.api.handler");
    assert_eq!(class("service/api.py", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("service/tests/test_api.py", &ctx),
        FileClass::FirstParty
    );
    assert_eq!(class("other/tests/test_x.py", &ctx), FileClass::TestOrDoc);
}

#[test]
fn python_layer_layouts() {
    let ctx = layer();
    assert_eq!(
        class("python/requests/api.py", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("python/lib/python3.12/site-packages/yaml/__init__.py", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("bin/tool.sh", &ctx), FileClass::FirstParty);
    // The same python/ tree in a function zip is the function's own.
    assert_eq!(
        class("python/requests/api.py", &Context::default()),
        FileClass::FirstParty
    );
    assert_eq!(
        class(
            "python/lib/python3.12/site-packages/yaml/__init__.py",
            &Context::default()
        ),
        FileClass::VendoredDependency
    );
}

#[test]
fn nodejs_function_and_layer() {
    let ctx = function("dist/index.handler");
    assert_eq!(class("dist/index.js", &ctx), FileClass::FirstParty);
    assert_eq!(class("dist/index.mjs", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("node_modules/aws-sdk/lib/core.js", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("node_modules/lodash/README.md", &ctx),
        FileClass::VendoredDependency,
        "vendored before doc"
    );
    assert_eq!(class("__tests__/index.test.js", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("src/index.spec.ts", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("lib/db.js", &ctx), FileClass::FirstParty);
    assert_eq!(class(".npmrc", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class("config.json", &ctx), FileClass::RuntimeConfig);
    assert_eq!(
        class("nodejs/node_modules/uuid/index.js", &layer()),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("nodejs/package.json", &layer()),
        FileClass::VendoredDependency
    );
}

#[test]
fn java_zip_uber_jar_and_layers() {
    let ctx = function("com.example.orders.Handler::handleRequest");
    assert_eq!(
        class("com/example/orders/Handler.class", &ctx),
        FileClass::FirstParty
    );
    assert_eq!(
        class("com/example/common/Db.class", &ctx),
        FileClass::FirstParty,
        "same organisation"
    );
    assert_eq!(
        class("com/fasterxml/jackson/databind/ObjectMapper.class", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("lib/aws-lambda-java-core-1.2.3.jar", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("lib/jackson.jar!/com/fasterxml/X.class", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("lib/jackson.jar!/application.properties", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("application.yml", &ctx), FileClass::RuntimeConfig);
    assert_eq!(
        class("application-prod.yml", &ctx),
        FileClass::RuntimeConfig
    );
    assert_eq!(class("log4j2.properties", &ctx), FileClass::RuntimeConfig);
    assert_eq!(class("META-INF/MANIFEST.MF", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("app.jar!/BOOT-INF/lib/spring-core.jar", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("java/lib/commons-io.jar", &layer()),
        FileClass::VendoredDependency
    );
    // An uber-jar inside the zip: the handler's classes and shaded ones.
    assert_eq!(
        class("app.jar!/com/example/orders/Handler.class", &ctx),
        FileClass::FirstParty
    );
    assert_eq!(
        class("app.jar!/org/slf4j/Logger.class", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class(
            "java/lib/commons-io.jar!/org/apache/commons/io/IOUtils.class",
            &layer()
        ),
        FileClass::VendoredDependency
    );
    assert_eq!(
        class("src/test/java/com/example/HandlerTest.java", &ctx),
        FileClass::TestOrDoc
    );
    assert_eq!(
        class("HandlerTest.java", &Context::default()),
        FileClass::TestOrDoc
    );
    // A class file is binary when nothing else settles it.
    assert_eq!(
        classify(
            "Main.class",
            b"\xca\xfe\xba\xbe\0\0\0\x41",
            &Context::default()
        ),
        FileClass::Binary
    );
}

#[test]
fn go_and_rust_custom_runtimes() {
    let ctx = function("bootstrap");
    let elf = b"\x7fELF\x02\x01\x01\0";
    assert_eq!(
        classify("bootstrap", elf, &ctx),
        FileClass::FirstParty,
        "the function itself"
    );
    assert_eq!(
        classify("bootstrap", elf, &Context::default()),
        FileClass::FirstParty
    );
    assert_eq!(classify("bin/helper", elf, &ctx), FileClass::Binary);
    assert_eq!(
        class("vendor/github.com/aws/aws-lambda-go/lambda/entry.go", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("main_test.go", &ctx), FileClass::TestOrDoc);
    assert_eq!(class("main.go", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("vendor/serde/src/lib.rs", &ctx),
        FileClass::VendoredDependency
    );
}

#[test]
fn ruby_function_and_layer() {
    let ctx = function("lib/function.Handler.process");
    assert_eq!(class("lib/function.rb", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("vendor/bundle/ruby/3.2.0/gems/json-2.7.1/lib/json.rb", &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("spec/function_spec.rb", &ctx), FileClass::TestOrDoc);
    assert_eq!(
        class(
            "ruby/gems/3.2.0/gems/nokogiri-1.16.0/lib/nokogiri.rb",
            &layer()
        ),
        FileClass::VendoredDependency
    );
    let ctx = function("function.handler");
    assert_eq!(class("function.rb", &ctx), FileClass::FirstParty);
}

#[test]
fn dotnet_publish_folder() {
    let ctx = function("Orders::Orders.Function::FunctionHandler");
    let pe = b"MZ\x90\0\x03\0\0\0";
    assert_eq!(classify("Orders.dll", pe, &ctx), FileClass::FirstParty);
    assert_eq!(
        classify("Newtonsoft.Json.dll", pe, &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(
        classify("Amazon.Lambda.Core.dll", pe, &ctx),
        FileClass::VendoredDependency
    );
    assert_eq!(class("appsettings.json", &ctx), FileClass::RuntimeConfig);
    assert_eq!(
        class("appsettings.Production.json", &ctx),
        FileClass::RuntimeConfig
    );
    assert_eq!(
        classify(
            "runtimes/linux-x64/native/libe_sqlite3.so",
            b"\x7fELF",
            &ctx
        ),
        FileClass::Binary
    );
}

#[test]
fn binaries_are_told_by_content() {
    assert!(is_binary(b"\x7fELF\x02"));
    assert!(is_binary(b"\xcf\xfa\xed\xfe\x07\0\0\x01"));
    assert!(is_binary(b"\0asm\x01\0\0\0"));
    assert!(is_binary(b"PK\x03\x04"));
    assert!(is_binary(b"text then a NUL\0"));
    assert!(!is_binary(b"MZ is a text here"));
    assert!(!is_binary("plain UTF-8 text, caf\u{e9}\n".as_bytes()));
    assert!(!is_binary(b""));
}

#[test]
fn handlers_of_every_runtime_parse() {
    assert!(Handler::parse("").is_none());
    assert!(Handler::parse("  ").is_none());
    let go = function("main");
    assert_eq!(
        classify("main", b"\x7fELF", &go),
        FileClass::FirstParty,
        "go1.x runs the named executable"
    );
    assert_eq!(classify("other", b"\x7fELF", &go), FileClass::Binary);
    let ctx = function("handlers/api.main");
    assert_eq!(class("handlers/api.py", &ctx), FileClass::FirstParty);
    assert_eq!(
        class("handlers/docs/usage.md", &ctx),
        FileClass::FirstParty,
        "inside the handler's folder"
    );
    assert_eq!(class("docs/usage.md", &ctx), FileClass::TestOrDoc);
    assert_eq!(
        class("handlers/.env", &ctx),
        FileClass::RuntimeConfig,
        "config stays config in the handler's folder"
    );
    assert_eq!(
        class("handlers/settings.json", &ctx),
        FileClass::RuntimeConfig
    );
}

#[test]
fn severity_moves_with_the_class() {
    assert_eq!(FileClass::FirstParty.adjust(Severity::High), Severity::High);
    assert_eq!(
        FileClass::RuntimeConfig.adjust(Severity::Critical),
        Severity::Critical
    );
    assert_eq!(
        FileClass::TestOrDoc.adjust(Severity::High),
        Severity::Medium
    );
    assert_eq!(FileClass::Binary.adjust(Severity::Medium), Severity::Low);
    assert_eq!(
        FileClass::VendoredDependency.adjust(Severity::Critical),
        Severity::Medium
    );
    assert_eq!(
        FileClass::VendoredDependency.adjust(Severity::Low),
        Severity::Info
    );
    assert_eq!(
        FileClass::VendoredDependency.adjust(Severity::Info),
        Severity::Info
    );
}

/// The walk's package paths feed classification as they are: a Java
/// function zip with a dependency jar and an uber-jar, walked and classified.
#[test]
fn walked_entries_classify_through_their_package_paths() {
    use fnguard_scan::archive::{walk_bytes, Entry, Limits};
    use std::io::{Cursor, Write};

    fn zip_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, data) in files {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }
    let class = b"\xca\xfe\xba\xbe\0\0\0\x41";
    let dependency = zip_of(&[("org/slf4j/Logger.class", class)]);
    let uber = zip_of(&[
        ("com/example/orders/Handler.class", class),
        ("com/google/gson/Gson.class", class),
        ("application.properties", b"db.password=x\n"),
    ]);
    let package = zip_of(&[
        ("lib/slf4j-api.jar", &dependency),
        ("app.jar", &uber),
        ("README.md", b"# orders\n"),
    ]);
    let context = function("com.example.orders.Handler::handleRequest");
    let mut classes = Vec::new();
    let summary = walk_bytes(
        "fn.zip",
        &package,
        &Limits::default(),
        &mut |entry: &Entry<'_>, bytes: &[u8]| {
            classes.push((
                entry.package_path.to_string(),
                classify(entry.package_path, bytes, &context),
            ));
        },
    );
    assert_eq!(summary.issues, vec![]);
    let classes: Vec<(&str, FileClass)> = classes
        .iter()
        .map(|(path, class)| (path.as_str(), *class))
        .collect();
    assert_eq!(
        classes,
        [
            ("lib/slf4j-api.jar", FileClass::VendoredDependency),
            (
                "lib/slf4j-api.jar!/org/slf4j/Logger.class",
                FileClass::VendoredDependency
            ),
            ("app.jar", FileClass::Binary),
            (
                "app.jar!/com/example/orders/Handler.class",
                FileClass::FirstParty
            ),
            (
                "app.jar!/com/google/gson/Gson.class",
                FileClass::VendoredDependency
            ),
            ("app.jar!/application.properties", FileClass::RuntimeConfig),
            ("README.md", FileClass::TestOrDoc),
        ]
    );
}
