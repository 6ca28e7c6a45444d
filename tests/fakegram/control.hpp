#pragma once

#include "app.hpp"
#include "http_types.hpp"

namespace fakegram {

/// Everything under /_fake: the JSON control API the tests drive, plus the
/// generated images. Unknown accounts are 404, bad JSON 400, bodies always JSON.
reply handle_control(app& a, const request& req);

} // namespace fakegram
