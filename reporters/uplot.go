package reporters

// UPlot returns the chart library the HTML report embeds — its script,
// stylesheet and licence — for other pages that draw charts (the report
// service's trends and comparisons), so that one copy of it ships.
func UPlot() (js, css, license string) { return uplotJS, uplotCSS, uplotLicense }
