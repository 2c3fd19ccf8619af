//! The files a bank has, read as records of named fields: CSV in UTF-8 (with or without BOM) or
//! GB18030/GBK (what Chinese Excel writes by default), XLSX (the first sheet), and NDJSON. Headers
//! are mapped to the API's field names through [`Mapping`]; each record keeps its line in the file
//! (the header is line 1 of a CSV or sheet) so that a report can point at it.

use std::borrow::Cow;
use std::collections::HashMap;

use super::fields::Mapping;
use super::RowError;
use crate::error::{AppError, AppResult};

/// The formats an import reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// CSV; `None` detects the encoding (BOM, then valid UTF-8, else GB18030).
    Csv(Option<&'static encoding_rs::Encoding>),
    Xlsx,
    Ndjson,
}

pub const XLSX_MEDIA_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

impl Format {
    /// From a `Content-Type` header value (`text/csv; charset=gbk`).
    pub fn of_media_type(value: &str) -> AppResult<Self> {
        let mut parts = value.split(';');
        let media = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let charset = parts.find_map(|p| {
            let (k, v) = p.split_once('=')?;
            (k.trim().eq_ignore_ascii_case("charset"))
                .then(|| v.trim().trim_matches('"').to_string())
        });
        match media.as_str() {
            "text/csv" => match charset {
                None => Ok(Format::Csv(None)),
                Some(label) => encoding_rs::Encoding::for_label(label.as_bytes())
                    .map(|e| Format::Csv(Some(e)))
                    .ok_or_else(|| {
                        AppError::field("Content-Type", format!("unknown charset `{label}`"))
                    }),
            },
            XLSX_MEDIA_TYPE => Ok(Format::Xlsx),
            "application/x-ndjson" => Ok(Format::Ndjson),
            _ => Err(AppError::field(
                "Content-Type",
                format!("`{media}` is not an import format: use text/csv, {XLSX_MEDIA_TYPE} or application/x-ndjson"),
            )),
        }
    }

    /// From a file name's extension (the command line).
    pub fn of_file_name(name: &str) -> AppResult<Self> {
        let lower = name.to_ascii_lowercase();
        if lower.ends_with(".csv") || lower.ends_with(".txt") {
            Ok(Format::Csv(None))
        } else if lower.ends_with(".xlsx") {
            Ok(Format::Xlsx)
        } else if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            Ok(Format::Ndjson)
        } else {
            Err(AppError::field(
                "file",
                "the file must end in .csv, .xlsx, .ndjson or .jsonl",
            ))
        }
    }
}

/// One record of the file: the values of the kind's fields that the file has, by field name.
#[derive(Debug, Default)]
pub struct Record {
    pub line: usize,
    values: HashMap<&'static str, String>,
}

impl Record {
    /// The field's value, trimmed; `None` when absent or blank.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .get(field)
            .map(|v| v.trim())
            .filter(|v| !v.is_empty())
    }
}

/// Reads every record of `bytes`, handing each to `each`. A structural error (an unknown header, a
/// row that is not JSON, a file that is not XLSX) is reported for its line; reading goes on where
/// it can, so that a dry run shows every problem at once.
pub fn records(
    bytes: &[u8],
    format: Format,
    mapping: &Mapping,
    errors: &mut Vec<RowError>,
    mut each: impl FnMut(Record) -> AppResult<()>,
) -> AppResult<()> {
    match format {
        Format::Csv(encoding) => {
            let text = decode(bytes, encoding)?;
            csv_records(&text, mapping, errors, &mut each)
        }
        Format::Xlsx => xlsx_records(bytes, mapping, errors, &mut each),
        Format::Ndjson => ndjson_records(bytes, mapping, errors, &mut each),
    }
}

/// How much of the file's start the door check reads: enough for any header row.
const HEAD_BYTES: usize = 64 * 1024;

/// Refuses, before an import starts, a body that cannot be a file of the kind: a CSV whose first
/// row names none of the kind's columns, NDJSON whose first line is not an object with one of its
/// fields, or bytes that are not an XLSX (zip) workbook. Problems inside a file of the right shape
/// are the import's report, line by line.
pub fn check_shape(bytes: &[u8], format: Format, mapping: &Mapping) -> AppResult<()> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = &bytes[..bytes.len().min(HEAD_BYTES)];
    let names: Vec<String> = match format {
        Format::Xlsx if bytes.starts_with(b"PK\x03\x04") => return Ok(()),
        Format::Xlsx => {
            return Err(AppError::field(
                "file",
                "not an XLSX workbook (an XLSX file is a zip archive)",
            ))
        }
        Format::Csv(given) => {
            // A prefix may end inside a character: only an incomplete last character is allowed.
            let utf8 = std::str::from_utf8(head).map_or_else(|e| e.error_len().is_none(), |_| true);
            let encoding = given.unwrap_or(if utf8 {
                encoding_rs::UTF_8
            } else {
                encoding_rs::GB18030
            });
            let (text, _) = encoding.decode_without_bom_handling(head);
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(text.as_bytes());
            let mut row = csv::StringRecord::new();
            match reader.read_record(&mut row) {
                Ok(true) => row.iter().map(str::to_string).collect(),
                _ => Vec::new(),
            }
        }
        Format::Ndjson => {
            let first = bytes
                .split(|b| *b == b'\n')
                .find(|line| !line.iter().all(u8::is_ascii_whitespace))
                .unwrap_or_default();
            serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(first)
                .map(|object| object.keys().cloned().collect())
                .map_err(|e| {
                    AppError::field("file", format!("the first line is not a JSON object: {e}"))
                })?
        }
    };
    if names.iter().any(|name| mapping.field_of(name).is_some()) {
        return Ok(());
    }
    Err(AppError::field(
        "file",
        format!(
            "the first row names none of the columns of this kind of file (expected some of: {})",
            mapping.expected()
        ),
    ))
}

/// The text of a CSV file: the given encoding, else UTF-8 by BOM or validity, else GB18030 (a
/// superset of GBK and GB2312).
fn decode<'a>(
    bytes: &'a [u8],
    encoding: Option<&'static encoding_rs::Encoding>,
) -> AppResult<Cow<'a, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let encoding = match encoding {
        Some(e) => e,
        None if std::str::from_utf8(bytes).is_ok() => encoding_rs::UTF_8,
        None => encoding_rs::GB18030,
    };
    let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
    if had_errors {
        return Err(AppError::field(
            "file",
            format!("the file is not valid {} text", encoding.name()),
        ));
    }
    Ok(text)
}

/// Maps a header row to the kind's fields; unknown columns are reported on line 1.
fn header_fields(
    header: &[String],
    mapping: &Mapping,
    errors: &mut Vec<RowError>,
) -> Vec<Option<&'static str>> {
    header
        .iter()
        .map(|name| {
            let found = mapping.field_of(name);
            if found.is_none() && !name.trim().is_empty() {
                errors.push(RowError::field(
                    1,
                    name.trim(),
                    format!(
                        "unknown column `{}` (expected one of: {})",
                        name.trim(),
                        mapping.expected()
                    ),
                ));
            }
            found
        })
        .collect()
}

fn csv_records(
    text: &str,
    mapping: &Mapping,
    errors: &mut Vec<RowError>,
    each: &mut impl FnMut(Record) -> AppResult<()>,
) -> AppResult<()> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut columns = None;
    let mut row = csv::StringRecord::new();
    loop {
        // The line a record starts on (the reader's own position is already past it).
        let next_line = reader.position().line() as usize;
        let read = reader.read_record(&mut row);
        let line = row.position().map_or(next_line, |p| p.line() as usize);
        match read {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                errors.push(RowError::line(line, format!("not a CSV row: {e}")));
                continue;
            }
        }
        let Some(fields) = &columns else {
            let header: Vec<String> = row.iter().map(str::to_string).collect();
            columns = Some(header_fields(&header, mapping, errors));
            continue;
        };
        if row.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let mut record = Record {
            line,
            values: HashMap::with_capacity(fields.len()),
        };
        for (field, value) in fields.iter().zip(row.iter()) {
            if let Some(field) = field {
                record.values.insert(field, value.to_string());
            }
        }
        each(record)?;
    }
    if columns.is_none() {
        errors.push(RowError::line(
            1,
            "the file is empty: a header row is expected",
        ));
    }
    Ok(())
}

fn xlsx_records(
    bytes: &[u8],
    mapping: &Mapping,
    errors: &mut Vec<RowError>,
    each: &mut impl FnMut(Record) -> AppResult<()>,
) -> AppResult<()> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(bytes))
        .map_err(|e| AppError::field("file", format!("not an XLSX workbook: {e}")))?;
    let Some(sheet) = book.sheet_names().first().cloned() else {
        return Err(AppError::field("file", "the workbook has no sheet"));
    };
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| AppError::field("file", format!("cannot read sheet `{sheet}`: {e}")))?;
    // Lines are the sheet's row numbers, as Excel shows them.
    let first_row = range.start().map_or(0, |(r, _)| r as usize);
    let mut rows = range.rows().enumerate();
    let Some((_, header)) = rows.next() else {
        errors.push(RowError::line(
            1,
            "the sheet is empty: a header row is expected",
        ));
        return Ok(());
    };
    let header: Vec<String> = header.iter().map(cell_text).collect();
    let fields = header_fields(&header, mapping, errors);
    for (i, row) in rows {
        if row.iter().all(|c| cell_text(c).trim().is_empty()) {
            continue;
        }
        let mut record = Record {
            line: first_row + i + 1,
            values: HashMap::with_capacity(fields.len()),
        };
        for (field, cell) in fields.iter().zip(row.iter()) {
            if let Some(field) = field {
                record.values.insert(field, cell_text(cell));
            }
        }
        each(record)?;
    }
    Ok(())
}

/// A cell as the text a CSV of the same sheet would hold: whole numbers without `.0`, dates as
/// `YYYY-MM-DD` (Excel stores them as days since 1899-12-30).
fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => {
            let serial = d.as_f64();
            let epoch = chrono::NaiveDate::from_ymd_opt(1899, 12, 30).unwrap_or_default();
            match epoch.checked_add_signed(chrono::Duration::days(serial.floor() as i64)) {
                Some(day) => day.to_string(),
                None => serial.to_string(),
            }
        }
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn ndjson_records(
    bytes: &[u8],
    mapping: &Mapping,
    errors: &mut Vec<RowError>,
    each: &mut impl FnMut(Record) -> AppResult<()>,
) -> AppResult<()> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    for (i, raw) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
        if raw.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let object: serde_json::Map<String, serde_json::Value> = match serde_json::from_slice(raw) {
            Ok(o) => o,
            Err(e) => {
                errors.push(RowError::line(line, format!("not a JSON object: {e}")));
                continue;
            }
        };
        let mut record = Record {
            line,
            values: HashMap::with_capacity(object.len()),
        };
        for (key, value) in object {
            let Some(field) = mapping.field_of(&key) else {
                errors.push(RowError::field(
                    line,
                    &key,
                    format!("unknown field `{key}`"),
                ));
                continue;
            };
            let text = match value {
                serde_json::Value::Null => continue,
                serde_json::Value::String(s) => s,
                serde_json::Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(","),
                other => other.to_string(),
            };
            record.values.insert(field, text);
        }
        each(record)?;
    }
    Ok(())
}
