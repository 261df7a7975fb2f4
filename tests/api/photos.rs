//! Photo uploads through the HTTP API: stored as JPEG with a thumbnail and served to their
//! uploader (and to whoever sees their case once attached); uploads that lie about their type or
//! are too large are refused and leave nothing behind.

use axum::body::Body;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use axum::http::request::Builder;
use axum::http::{HeaderMap, Request, StatusCode};
use http_body_util::BodyExt;
use image::codecs::png::PngEncoder;
use image::{ExtendedColorType, ImageEncoder, ImageFormat, Rgb, RgbImage};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tower::ServiceExt;
use wangge::auth::role::Role;
use wangge::cases::photos::DEFAULT_MAX_BYTES;

use super::http::{App, error_code, small_place};

/// A request as the signed-in user: status, headers and body.
async fn send(app: &App, request: Builder, body: impl Into<Body>) -> (StatusCode, HeaderMap, Vec<u8>) {
    let request = match &app.token {
        Some(token) => request.header("authorization", format!("Bearer {token}")),
        None => request,
    };
    let response = app.router.clone().oneshot(request.body(body.into()).expect("request")).await.expect("answers");
    let (parts, body) = response.into_parts();
    (parts.status, parts.headers, body.collect().await.expect("body").to_bytes().to_vec())
}

async fn upload(app: &App, content_type: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
    let request = Request::post("/api/v1/photos").header(CONTENT_TYPE, content_type);
    let (status, _, body) = send(app, request, bytes).await;
    (status, serde_json::from_slice(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}")))
}

async fn get(app: &App, uri: &str) -> (StatusCode, HeaderMap, Vec<u8>) {
    send(app, Request::get(uri), Body::empty()).await
}

/// A PNG of these sides: a gradient, or noise (which compresses badly: 3 bytes a pixel).
fn png(width: u32, height: u32, noise: bool) -> Vec<u8> {
    let mut state = 0x2545_f491_u32;
    let image = RgbImage::from_fn(width, height, |x, y| {
        if noise {
            state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            let [r, g, b, _] = state.to_be_bytes();
            Rgb([r, g, b])
        } else {
            Rgb([(x % 256) as u8, (y % 256) as u8, 128])
        }
    });
    let mut out = Vec::new();
    PngEncoder::new(&mut out).write_image(image.as_raw(), width, height, ExtendedColorType::Rgb8).expect("encodes");
    out
}

fn jpeg(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    image::DynamicImage::ImageRgb8(RgbImage::new(width, height))
        .write_to(&mut std::io::Cursor::new(&mut out), ImageFormat::Jpeg)
        .expect("encodes");
    out
}

fn multipart(field: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    let boundary = "wangge-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"x.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n"
    )
    .into_bytes();
    body.extend(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").into_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// The service with two inspectors of 光谷社区 (signed in as `inspector1`), a leader of its
/// sub-district, and the administrator `admin1`.
async fn app() -> App {
    let mut app = App::with(&[small_place()]).await;
    for name in ["inspector1", "inspector2"] {
        app.add_user(name, Role::Inspector, &["community:光谷社区"]).await;
    }
    app.add_user("leader1", Role::Leader, &["district:关山街道"]).await;
    app.sign_in("inspector1").await;
    app
}

async fn photo_rows(app: &App) -> i64 {
    sqlx::query_scalar("select count(*) from photos").fetch_one(&app.pool).await.expect("counts")
}

fn stored_files(app: &App) -> Vec<String> {
    std::fs::read_dir(app.photo_dir.path())
        .expect("lists the photo directory")
        .map(|entry| entry.expect("an entry").file_name().to_string_lossy().into_owned())
        .collect()
}

fn decoded(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(image::guess_format(bytes).ok(), Some(ImageFormat::Jpeg));
    let image = image::load_from_memory(bytes).expect("decodes");
    (image.width(), image.height())
}

#[tokio::test]
async fn an_inspector_uploads_a_photo_then_reads_it_and_its_thumbnail() {
    let app = app().await;
    // A PNG that says it is a JPEG: the content decides, and it is served as a JPEG.
    let (status, body) = upload(&app, "image/jpeg", png(3000, 1500, false)).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["id"].as_i64().expect("an id");
    assert_eq!((body["width"].as_u64(), body["height"].as_u64()), (Some(2000), Some(1000)));
    assert_eq!(body["url"], format!("/api/v1/photos/{id}"));
    assert_eq!(body["thumbnail_url"], format!("/api/v1/photos/{id}/thumbnail"));

    let (status, headers, served) = get(&app, &format!("/api/v1/photos/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
    assert_eq!(headers[X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(headers[CACHE_CONTROL].to_str().is_ok_and(|v| v.starts_with("private, max-age=")), "{headers:?}");
    assert_eq!(decoded(&served), (2000, 1000));
    assert_eq!(body["bytes"].as_u64(), Some(served.len() as u64));

    let (status, headers, thumbnail) = get(&app, &format!("/api/v1/photos/{id}/thumbnail")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[CONTENT_TYPE], "image/jpeg");
    assert_eq!(decoded(&thumbnail), (320, 160));

    let (case_id, media_type, stored_name, stored_sha256): (Option<i64>, String, String, String) = sqlx::query_as(
        "select case_id, media_type, stored_name, sha256 from photos
         where id = $1 and uploader_id = (select id from users where username = 'inspector1')",
    )
    .bind(id)
    .fetch_one(&app.pool)
    .await
    .expect("the row");
    let sha256 = format!("{:x}", Sha256::digest(&served));
    assert_eq!((case_id, media_type.as_str()), (None, "image/jpeg"), "unattached");
    assert_eq!((stored_name, stored_sha256), (format!("{sha256}.jpg"), sha256.clone()));
    let mut files = stored_files(&app);
    files.sort();
    assert_eq!(files, [format!("{sha256}-thumb.jpg"), format!("{sha256}.jpg")]);
}

#[tokio::test]
async fn a_photo_is_seen_by_its_uploader_then_by_whoever_sees_its_case() {
    let mut app = app().await;
    let (_, body) = upload(&app, "image/png", png(200, 100, false)).await;
    let id = body["id"].as_i64().expect("an id");
    let uri = format!("/api/v1/photos/{id}");
    let sees = async |app: &App, uri: &str| {
        let (photo, ..) = get(app, uri).await;
        let (thumbnail, ..) = get(app, &format!("{uri}/thumbnail")).await;
        assert_eq!(photo, thumbnail, "{uri}");
        photo
    };

    for (who, status) in [("inspector2", StatusCode::NOT_FOUND), ("admin1", StatusCode::NOT_FOUND)] {
        app.sign_in(who).await;
        assert_eq!(sees(&app, &uri).await, status, "{who} before the photo is attached");
    }
    let (status, _, body) = get(&app, "/api/v1/photos/999999").await;
    let body: Value = serde_json::from_slice(&body).expect("JSON");
    assert_eq!((status, error_code(&body)), (StatusCode::NOT_FOUND, "not_found"));

    // Attached to a case that inspector1 filed, as the cases code will do.
    let case: i64 = sqlx::query_scalar(
        "insert into cases (number, source, category, location, submitted_crs, submitted_lon, submitted_lat,
                            district_id, community_id, reporter_id, status)
         select '20261122-000001', 'inspector', 'sanitation.dead_spot', st_setsrid(st_point(114.4002, 30.5001), 4326),
                'wgs84', 114.4002, 30.5001, c.district_id, c.id, u.id, 'registered'
         from communities c, users u where c.name = '光谷社区' and u.username = 'inspector1'
         returning id",
    )
    .fetch_one(&app.pool)
    .await
    .expect("a case");
    sqlx::query("update photos set case_id = $1 where id = $2")
        .bind(case)
        .bind(id)
        .execute(&app.pool)
        .await
        .expect("attaches");
    for (who, status) in
        [("admin1", StatusCode::OK), ("leader1", StatusCode::OK), ("inspector2", StatusCode::NOT_FOUND)]
    {
        app.sign_in(who).await;
        assert_eq!(sees(&app, &uri).await, status, "{who} once attached");
    }

    // A private case's photo may show its exact place: not to a leader outside its grid's team.
    sqlx::query("update cases set private = true where id = $1").bind(case).execute(&app.pool).await.expect("updates");
    for (who, status) in
        [("admin1", StatusCode::OK), ("leader1", StatusCode::NOT_FOUND), ("inspector1", StatusCode::OK)]
    {
        app.sign_in(who).await;
        assert_eq!(sees(&app, &uri).await, status, "{who}, private case");
    }
}

#[tokio::test]
async fn uploads_that_lie_about_their_type_are_refused_and_leave_nothing() {
    let app = app().await;
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>"#;
    for (content_type, bytes) in [
        ("image/jpeg", b"just some text, not a photo".to_vec()),
        ("image/jpeg", b"<!DOCTYPE html><html><script>alert(1)</script></html>".to_vec()),
        ("image/png", svg.as_bytes().to_vec()),
        ("image/webp", b"PK\x03\x04\x14\x00\x00\x00\x08\x00zip".to_vec()),
        ("image/jpeg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()),
    ] {
        let (status, body) = upload(&app, content_type, bytes).await;
        assert_eq!(
            (status, error_code(&body)),
            (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type"),
            "{body}"
        );
        assert!(body["error"]["message"].as_str().is_some_and(|m| m.contains("JPEG, PNG or WebP")), "{body}");
    }
    let (_, body) = upload(&app, "image/jpeg", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;".to_vec()).await;
    assert_eq!(body["error"]["details"]["detected"], "image/gif");

    let whole = jpeg(640, 480);
    let (status, body) = upload(&app, "image/jpeg", whole[..whole.len() / 2].to_vec()).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_photo"), "{body}");

    // A PNG header that claims 100,000 × 100,000 px (40 GB decoded), and nothing else.
    let mut bomb = png(1, 1, false);
    bomb.truncate(33);
    bomb[16..24].copy_from_slice(&[0, 1, 0x86, 0xA0, 0, 1, 0x86, 0xA0]);
    let crc = crc32(&bomb[12..29]);
    bomb[29..33].copy_from_slice(&crc.to_be_bytes());
    let (status, body) = upload(&app, "image/png", bomb).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNPROCESSABLE_ENTITY, "image_too_large"), "{body}");

    assert_eq!(photo_rows(&app).await, 0);
    assert_eq!(stored_files(&app), Vec::<String>::new());
}

fn crc32(bytes: &[u8]) -> u32 {
    !bytes.iter().fold(!0u32, |crc, &byte| {
        (0..8).fold(crc ^ u32::from(byte), |c, _| if c & 1 == 1 { (c >> 1) ^ 0xEDB8_8320 } else { c >> 1 })
    })
}

#[tokio::test]
async fn uploads_over_the_cap_are_refused_with_413_while_large_photos_under_it_pass() {
    let app = app().await;
    let mut header = jpeg(8, 8);
    for over in [1, 1 << 20] {
        header.resize(DEFAULT_MAX_BYTES + over, 0);
        let (status, body) = upload(&app, "image/jpeg", header.clone()).await;
        assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{over}: {body}");
    }
    let (content_type, form) = multipart("photo", &header);
    let (status, body) = upload(&app, &content_type, form).await;
    assert_eq!((status, error_code(&body)), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"), "{body}");
    assert_eq!(photo_rows(&app).await, 0);
    assert_eq!(stored_files(&app), Vec::<String>::new());

    // Above the service's body limit (1 MiB in these tests), below the photo cap.
    let large = png(1000, 1000, true);
    assert!(large.len() > 2 << 20, "{}", large.len());
    let (status, body) = upload(&app, "image/png", large).await;
    assert_eq!((status, body["width"].as_u64()), (StatusCode::CREATED, Some(1000)), "{body}");
}

#[tokio::test]
async fn a_photo_may_come_as_the_photo_field_of_a_form() {
    let app = app().await;
    let (content_type, form) = multipart("photo", &jpeg(2400, 100));
    let (status, body) = upload(&app, &content_type, form).await;
    assert_eq!((status, body["width"].as_u64(), body["height"].as_u64()), (StatusCode::CREATED, Some(2000), Some(83)));
    let (content_type, form) = multipart("picture", &jpeg(24, 10));
    let (status, body) = upload(&app, &content_type, form).await;
    assert_eq!((status, error_code(&body)), (StatusCode::BAD_REQUEST, "invalid_parameter"), "{body}");
    assert_eq!(body["error"]["details"]["field"], "picture");
    assert_eq!(photo_rows(&app).await, 1);
}

#[tokio::test]
async fn only_inspectors_handlers_and_administrators_upload() {
    let mut app = app().await;
    app.add_user("handler1", Role::Handler, &["community:光谷社区"]).await;
    app.add_user("planner1", Role::Planner, &["community:光谷社区"]).await;
    for (who, status) in [
        ("leader1", StatusCode::FORBIDDEN),
        ("planner1", StatusCode::FORBIDDEN),
        ("handler1", StatusCode::CREATED),
        ("admin1", StatusCode::CREATED),
    ] {
        app.sign_in(who).await;
        let (answer, body) = upload(&app, "image/jpeg", jpeg(16, 16)).await;
        assert_eq!(answer, status, "{who}: {body}");
        if status == StatusCode::FORBIDDEN {
            assert_eq!(error_code(&body), "forbidden");
        }
    }
    app.token = None;
    let (status, body) = upload(&app, "image/jpeg", jpeg(16, 16)).await;
    assert_eq!((status, error_code(&body)), (StatusCode::UNAUTHORIZED, "unauthenticated"));
    assert_eq!(photo_rows(&app).await, 2);
}
