#pragma once

namespace fakegram {

/// Which Instagram API fakegram impersonates (DESIGN.md §2).
enum class dialect { graph, legacy };

} // namespace fakegram
