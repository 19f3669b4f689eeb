import DefaultTheme from 'vitepress/theme'
import './brand.css'
import './diagrams.css'

// The default theme, in the colours of the logo.
export default DefaultTheme
