#pragma once

#include <string>
#include <string_view>

namespace fakegram {

/// A small ISO base media file: `ftyp` (isom, with iso2/mp41/mp42 compatible),
/// `moov` with a movie header, and `mdat` whose payload starts with `label`
/// and continues with bytes derived from it, so two labels never share bytes.
/// Players would find no track in it; parsers and sniffers see an MP4.
std::string encode_mp4(std::string_view label, std::size_t payload_bytes = 4096);

} // namespace fakegram
