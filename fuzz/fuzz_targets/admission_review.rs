//! An AdmissionReview body as the kube-enforcer reads it from the network: parsed, checked,
//! and its workload (pod spec, containers, labels) extracted, without a panic.
#![no_main]

use kabuto_admission::review::Request;
use kabuto_admission::workload::Workload;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(request) = Request::from_body(data) else {
        return;
    };
    let _ = request.workload_name();
    for object in [&request.object, &request.old_object].into_iter().flatten() {
        if let Some(workload) = Workload::of(&request.kind.kind, object) {
            let _ = workload.images();
        }
    }
});
